"""Flow and Routine (de)serialization: shapes, exact topology round trips, strictness (spec §14)."""

from __future__ import annotations

import collections
import copy
import json
import warnings

import pytest

from routilux import (
    Connection,
    ErrorHandler,
    ErrorStrategy,
    Event,
    Flow,
    JobState,
    Routine,
    Slot,
    register_serializable,
)
from routilux.serialization import ObjectRegistry

# Module-level handlers: restorable by reference.
DELIVERED: list = []


def record_handler(**kw):
    DELIVERED.append(kw)


def keep_last(old, new):
    return {**(old or {}), **new}


@register_serializable
class SerNode(Routine):
    """A node with a method handler, two events and one input slot."""

    def __init__(self):
        super().__init__()
        self.received = []
        self.input_slot = self.define_slot("input", handler=self.on_input)
        self.define_slot("trigger", handler=self.on_trigger)
        self.define_event("output", ["value"])
        self.define_event("skip", ["value"])

    def on_trigger(self, value=0, **kw):
        self.emit("output", value=value)

    def on_input(self, value=None, **kw):
        self.received.append(value)


class SerNeedsArgs(Routine):
    def __init__(self, size):
        super().__init__()
        self.size = size


class SerUnregistered(Routine):
    pass


def topology(flow):
    """The connections as a multiset of (source id, event, target id, slot)."""
    ids = {id(r): rid for rid, r in flow.routines.items()}
    return collections.Counter(
        (
            ids[id(c.source_event.routine)],
            c.source_event.name,
            ids[id(c.target_slot.routine)],
            c.target_slot.name,
        )
        for c in flow.connections
    )


def pair_flow(flow_id, param_mapping=None, **flow_kwargs):
    """A flow of two SerNodes: ``a.output -> b.input``."""
    flow = Flow(flow_id=flow_id, **flow_kwargs)
    flow.add_routine(SerNode(), "a")
    flow.add_routine(SerNode(), "b")
    flow.connect("a", "output", "b", "input", param_mapping)
    return flow


def json_round_trip(flow):
    return Flow().deserialize(json.loads(json.dumps(flow.serialize())))


# -- shapes ------------------------------------------------------------------------------------------


def test_empty_flow_shape():
    data = Flow(flow_id="empty").serialize()
    assert data["_type"] == "Flow"
    assert data["flow_id"] == "empty"
    assert data["routines"] == {}
    assert data["connections"] == []
    assert data["error_handler"] is None
    assert "job_state" not in data


def test_serialized_shapes_follow_the_spec():
    flow = pair_flow("shapes", {"value": "value"}, execution_strategy="concurrent", max_workers=6)
    flow.set_error_handler(ErrorHandler(strategy="retry", max_retries=5, retry_delay=0.25))
    data = json.loads(json.dumps(flow.serialize()))
    assert (data["execution_strategy"], data["max_workers"]) == ("concurrent", 6)
    assert data["error_handler"]["strategy"] == "retry" and data["error_handler"]["max_retries"] == 5
    routine = data["routines"]["a"]
    assert routine["_type"] == "SerNode"
    handler = routine["_slots"]["input"]["handler"]
    assert handler == {
        "_type": "callable",
        "callable_type": "method",
        "class_name": "SerNode",
        "method_name": "on_input",
        "object_id": flow.routines["a"]._id,
    }
    (connection,) = data["connections"]
    assert connection["_type"] == "Connection"
    assert connection["_source_event_name"] == "output" and connection["_target_slot_name"] == "input"
    assert connection["_source_routine_id"] == "a" and connection["_target_routine_id"] == "b"
    assert connection["param_mapping"] == {"value": "value"}


def test_connection_serialize_alone_has_the_four_keys():
    a, b = SerNode(), SerNode()
    data = Connection(a.get_event("output"), b.get_slot("input"), {"x": "y"}).serialize()
    assert data == {
        "_type": "Connection",
        "param_mapping": {"x": "y"},
        "_source_event_name": "output",
        "_target_slot_name": "input",
    }
    assert Connection().serialize() == {"_type": "Connection", "param_mapping": {}}


# -- exact topology --------------------------------------------------------------------------------


def test_fan_out_to_three_targets_sharing_a_slot_name_round_trips_edge_for_edge():
    flow = Flow(flow_id="fan")
    flow.add_routine(SerNode(), "source")
    for name in ("t1", "t2", "t3"):
        flow.add_routine(SerNode(), name)
        flow.connect("source", "output", name, "input")
    restored = json_round_trip(flow)
    assert topology(restored) == topology(flow)
    assert sorted(restored.routines) == ["source", "t1", "t2", "t3"]
    # The links themselves, not only the connection list, point at the three targets.
    event = restored.routines["source"].get_event("output")
    assert [s.routine for s in event.connected_slots] == [restored.routines[n] for n in ("t1", "t2", "t3")]


def test_two_hundred_routine_chain_with_skip_connections_round_trips_edge_for_edge():
    flow = Flow(flow_id="chain")
    for i in range(200):
        flow.add_routine(SerNode(), f"n{i}")
    for i in range(199):
        flow.connect(f"n{i}", "output", f"n{i + 1}", "input")
    for i in range(0, 197, 3):
        flow.connect(f"n{i}", "skip", f"n{i + 3}", "input", param_mapping={"value": "value"})
    want = topology(flow)
    restored = json_round_trip(flow)
    assert topology(restored) == want
    assert len(restored.connections) == len(flow.connections)
    for connection in restored.connections:
        assert restored._find_connection(connection.source_event, connection.target_slot) is connection
    again = json_round_trip(restored)
    assert topology(again) == want


def test_restored_flow_runs_with_method_handlers_bound_to_the_new_instances():
    flow = Flow(flow_id="run")
    flow.add_routine(SerNode(), "src")
    flow.add_routine(SerNode(), "dst")
    flow.connect("src", "output", "dst", "input")
    restored = json_round_trip(flow)
    src, dst = restored.routines["src"], restored.routines["dst"]
    assert src is not flow.routines["src"]
    assert dst.get_slot("input").handler.__self__ is dst
    assert dst.input_slot is dst.get_slot("input")  # existing slot objects are kept
    job = restored.execute("src", entry_params={"value": 42})
    assert JobState.wait_for_completion(restored, job, timeout=10)
    assert job.status == "completed"
    assert dst.received == [42]
    assert flow.routines["dst"].received == []
    restored.shutdown()


def test_routine_added_under_two_keys_restores_as_one_object():
    flow = Flow(flow_id="twice")
    node = SerNode()
    flow.add_routine(node, "first")
    flow.add_routine(node, "second")
    flow.add_routine(SerNode(), "sink")
    flow.connect("second", "output", "sink", "input")
    restored = json_round_trip(flow)
    assert restored.routines["first"] is restored.routines["second"]
    (connection,) = restored.connections
    assert connection.source_event.routine is restored.routines["first"]
    assert connection.target_slot.routine is restored.routines["sink"]
    assert restored._get_routine_id(restored.routines["second"]) == "first"


def test_function_handlers_merge_strategies_data_and_config_round_trip():
    routine = Routine()
    routine.define_slot("input", handler=record_handler, merge_strategy=keep_last)
    routine.define_slot("acc", merge_strategy="append")
    routine.define_slot("lam", handler=lambda **kw: None)
    routine.get_slot("acc")._data = {"x": [1, 2]}
    config = {
        "nested": {"list": [1, 2, {"deep": None}]},
        "empty": "",
        "zero": 0,
        "no": False,
        "uni": "流れ🚀",
        "fn": record_handler,
        "big": list(range(1000)),
    }
    routine.set_config(**config)
    routine.set_error_handler(ErrorHandler("continue"))
    data = json.loads(json.dumps(routine.serialize()))
    restored = Routine().deserialize(data)
    assert restored.get_slot("input").handler is record_handler
    assert restored.get_slot("input").merge_strategy is keep_last
    assert restored.get_slot("acc").merge_strategy == "append"
    assert restored.get_slot("acc")._data == {"x": [1, 2]}
    assert restored.get_slot("lam").handler is None  # lambdas restore as None (spec §14.4)
    assert restored._config == config
    assert restored.get_error_handler().strategy is ErrorStrategy.CONTINUE
    assert restored._id == routine._id


def test_standalone_routine_deserialize_keeps_slots_and_resolves_its_own_methods():
    original = SerNode()
    original.set_config(k=1)
    target = SerNode()
    slot_before = target.input_slot
    target.deserialize(original.serialize())
    assert target.input_slot is slot_before and target.get_slot("input") is slot_before
    assert target.get_slot("input").handler.__self__ is target
    assert target._id == original._id and target._config == {"k": 1}


def test_slot_event_error_handler_and_record_round_trips():
    slot = Slot("capture", None, record_handler)
    restored = Slot().deserialize(slot.serialize())
    assert restored.name == "capture" and restored.routine is None and restored.handler is record_handler
    event = Event("out", None, ["a", "b"])
    assert Event().deserialize(event.serialize()).output_params == ["a", "b"]
    handler = ErrorHandler("retry", max_retries=2, retry_delay=0.5, retry_backoff=3.0, is_critical=True)
    handler.retry_count = 1
    data = handler.serialize()
    assert data["strategy"] == "retry"
    back = ErrorHandler().deserialize(data)
    assert (
        back.strategy,
        back.max_retries,
        back.retry_delay,
        back.retry_backoff,
        back.retry_count,
        back.is_critical,
    ) == (ErrorStrategy.RETRY, 2, 0.5, 3.0, 1, True)
    assert back.retryable_exceptions == (Exception,)


def test_connection_deserialize_keeps_references_without_mutating_input():
    data = {
        "_type": "Connection",
        "param_mapping": {"a": "b"},
        "_source_routine_id": "s",
        "_source_event_name": "out",
        "_target_routine_id": "",
        "_target_slot_name": "in",
    }
    before = copy.deepcopy(data)
    connection = Connection().deserialize(data)
    assert data == before
    assert connection.param_mapping == {"a": "b"}
    assert connection._source_routine_id == "s" and connection._target_slot_name == "in"
    assert not hasattr(connection, "_target_routine_id")
    assert connection.source_event is None and connection.target_slot is None


# -- strictness and repeated rounds --------------------------------------------------------------------


def test_five_rounds_keep_config_current_and_settings():
    flow = pair_flow("rounds", execution_strategy="concurrent", max_workers=8)
    flow.set_error_handler(ErrorHandler("retry", max_retries=5))
    for n in range(1, 6):
        flow.routines["a"].set_config(round=n, payload=list(range(1000)))
        flow = json_round_trip(flow)
        assert flow.routines["a"]._config["round"] == n
        assert len(flow.routines["a"]._config["payload"]) == 1000
        assert (flow.execution_strategy, flow.max_workers, len(flow.connections)) == ("concurrent", 8, 1)
        assert flow.error_handler.strategy is ErrorStrategy.RETRY and flow.error_handler.max_retries == 5


def test_deserialize_does_not_mutate_its_input():
    flow = pair_flow("frozen", {"value": "value"})
    flow.routines["a"].set_config(items=[{"x": 1}])
    data = flow.serialize()
    before = copy.deepcopy(data)
    restored = Flow().deserialize(data)
    assert data == before
    restored.routines["a"]._config["items"][0]["x"] = 2  # no aliasing into the input either
    assert data == before


# -- errors ---------------------------------------------------------------------------------------------


def test_unknown_class_error_names_the_type_and_how_to_register():
    data = Flow(flow_id="x").serialize()
    data["routines"]["r"] = {"_type": "NoSuchRoutineClass", "_id": "r"}
    with pytest.raises(ValueError, match="class not found in registry") as info:
        Flow().deserialize(data)
    assert "NoSuchRoutineClass" in str(info.value) and "register_serializable" in str(info.value)
    assert "'routines'" in str(info.value)


def test_undecorated_subclasses_are_not_registered():
    flow = Flow(flow_id="u")
    flow.add_routine(SerUnregistered(), "u")
    with pytest.raises(ValueError, match="class not found in registry.*SerUnregistered"):
        Flow().deserialize(flow.serialize())


def test_routine_needing_constructor_arguments_makes_serialize_raise():
    flow = Flow(flow_id="args")
    flow.add_routine(SerNeedsArgs(3), "needs")
    with pytest.raises(TypeError, match="'needs'.*'size'"):
        flow.serialize()


def test_failed_deserialize_leaves_the_flow_unchanged():
    flow = pair_flow("keep")
    routines, connections = dict(flow.routines), list(flow.connections)
    bad = json.loads(json.dumps(flow.serialize()))
    bad["flow_id"] = "other"
    bad["routines"]["c"] = {"_type": "SerNode", "_slots": {"input": {"handler": 12}}}
    with pytest.raises(TypeError, match="routine 'c'.*handler"):
        flow.deserialize(bad)
    assert flow.flow_id == "keep" and flow.routines == routines and flow.connections == connections
    assert flow.routines["a"].get_event("output").connected_slots == [flow.routines["b"].get_slot("input")]


@pytest.mark.parametrize(
    "patch, error, match",
    [
        ({"execution_strategy": "warp-speed"}, ValueError, "execution_strategy.*warp-speed"),
        ({"max_workers": "many"}, TypeError, "max_workers.*many"),
        ({"max_workers": 0}, ValueError, "max_workers"),
        ({"routines": []}, TypeError, "routines"),
        ({"connections": {}}, TypeError, "connections"),
        ({"error_handler": {"strategy": "explode"}}, ValueError, "strategy.*explode"),
        ({"_type": "JobState"}, ValueError, "_type"),
    ],
)
def test_malformed_flow_fields_name_field_and_value(patch, error, match):
    data = {**Flow(flow_id="bad").serialize(), **patch}
    with pytest.raises(error, match=match):
        Flow().deserialize(data)


def test_missing_type_raises():
    with pytest.raises(ValueError, match="_type"):
        Flow().deserialize({"invalid": "structure"})


def test_unresolvable_connections_are_dropped_with_a_warning():
    flow = pair_flow("drop")
    data = flow.serialize()
    good = data["connections"][0]
    data["connections"] = [
        {**good, "_source_routine_id": "nonexistent"},
        {**good, "_target_slot_name": "no_such_slot"},
        {k: v for k, v in good.items() if k != "_source_event_name"},
        good,
    ]
    with pytest.warns(UserWarning, match="connection dropped"):
        restored = Flow().deserialize(data)
    assert topology(restored) == collections.Counter({("a", "output", "b", "input"): 1})


def test_legacy_connections_without_routine_ids_resolve_by_name():
    flow = pair_flow("legacy")
    data = flow.serialize()
    for connection in data["connections"]:
        del connection["_source_routine_id"], connection["_target_routine_id"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        restored = Flow().deserialize(data)
    assert len(restored.connections) == 1


def test_object_registry_resolves_method_references_between_routines():
    class Holder:
        _id = "holder"

        def handle(self, **kw):
            return kw

    holder = Holder()
    routine = Routine()
    routine.define_slot("in", handler=holder.handle)
    data = routine.serialize()
    assert data["_slots"]["in"]["handler"]["object_id"] == "holder"
    restored = Routine().deserialize(data, ObjectRegistry({"holder": holder}))
    assert restored.get_slot("in").handler == holder.handle
    assert Routine().deserialize(data).get_slot("in").handler is None
