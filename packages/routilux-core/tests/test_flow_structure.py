"""Flow: constructor, structure methods, lookups, strategy rules and life cycle (spec §6, §8.4, §20)."""

from __future__ import annotations

import threading
import warnings
from typing import Any

import pytest

from routilux import ErrorHandler, Flow, JobState, Routine
from routilux.connection import Connection

WAIT = 10.0

pytestmark = pytest.mark.usefixtures("fixtures_on_path")  # conftest.py: engine_fixtures imports


class Sink(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self.define_slot("input", self._on_input)
        self.define_event("out", ["value"])

    def _on_input(self, **data: Any) -> None:
        with self._lock:
            self.seen.append(data)


class SinkSubclass(Sink):
    pass


def _linear_flow(**flow_kwargs: Any) -> tuple[Flow, Routine, Sink]:
    from engine_fixtures.routines import ValueSource, linear_flow

    source, sink = ValueSource(), Sink()
    return linear_flow(source, ("sink", sink, "input"), **flow_kwargs), source, sink


def _run(flow: Flow, entry: str = "src", **params: Any) -> JobState:
    job = flow.execute(entry, entry_params=params)
    assert JobState.wait_for_completion(flow, job, timeout=WAIT), f"job did not finish: {job.status}"
    return job


# -- constructor and attributes (§6.1) ----------------------------------------------------------


def test_constructor_defaults() -> None:
    flow = Flow()
    assert isinstance(flow.flow_id, str) and len(flow.flow_id) == 36  # a uuid4 string
    assert Flow().flow_id != flow.flow_id
    assert flow.routines == {} and flow.connections == []
    assert flow.execution_tracker is None and flow.error_handler is None
    assert flow.execution_strategy == "sequential"
    assert flow.max_workers == 1
    assert flow.execution_timeout == 300.0
    assert flow._paused is False
    assert repr(flow) == f"Flow[{flow.flow_id}]"


def test_constructor_keeps_given_id_and_timeout() -> None:
    flow = Flow(flow_id="my-flow", execution_timeout=12.5)
    assert flow.flow_id == "my-flow"
    assert flow.execution_timeout == 12.5


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, 1),
        ({"max_workers": 10}, 1),
        ({"execution_strategy": "sequential", "max_workers": 7}, 1),
        ({"execution_strategy": "concurrent"}, 5),
        ({"execution_strategy": "concurrent", "max_workers": 3}, 3),
    ],
)
def test_max_workers_rules_in_constructor(kwargs: dict[str, Any], expected: int) -> None:
    assert Flow(**kwargs).max_workers == expected


def test_flow_has_no_job_state_attribute_but_accepts_assignment() -> None:
    flow, _, _ = _linear_flow()
    assert not hasattr(flow, "job_state")
    _run(flow, value=1)
    assert not hasattr(flow, "job_state")
    marker = object()
    flow.job_state = marker  # type: ignore[attr-defined]
    assert flow.job_state is marker  # type: ignore[attr-defined]


# -- set_execution_strategy (§6.2, §20 item 18) ----------------------------------------------------


def test_set_execution_strategy_concurrent_defaults_to_five_workers() -> None:
    flow = Flow(execution_strategy="concurrent", max_workers=9)
    flow.set_execution_strategy("sequential")
    assert (flow.execution_strategy, flow.max_workers) == ("sequential", 1)
    flow.set_execution_strategy("concurrent")
    assert (flow.execution_strategy, flow.max_workers) == ("concurrent", 5)
    flow.set_execution_strategy("concurrent", max_workers=8)
    assert flow.max_workers == 8
    flow.set_execution_strategy("sequential", max_workers=8)
    assert flow.max_workers == 1


def test_set_execution_strategy_rejects_unknown_name() -> None:
    flow = Flow(execution_strategy="concurrent", max_workers=4)
    with pytest.raises(ValueError, match="Invalid execution strategy"):
        flow.set_execution_strategy("warp-speed")
    assert (flow.execution_strategy, flow.max_workers) == ("concurrent", 4)


def test_set_execution_strategy_then_execute() -> None:
    flow, _, sink = _linear_flow()
    flow.set_execution_strategy("concurrent", max_workers=2)
    job = _run(flow, value=3)
    assert job.status == "completed"
    assert sink.seen == [{"value": 3}]
    flow.shutdown()


def test_unknown_executor_name_raises_listing_available_ones() -> None:
    flow, _, sink = _linear_flow(execution_strategy="no-such-executor")
    with pytest.raises(ValueError) as info:
        flow.execute("src", entry_params={"value": 1})
    message = str(info.value)
    assert "no-such-executor" in message
    assert "sequential" in message and "concurrent" in message
    assert sink.seen == []


def test_execute_strategy_override_does_not_change_flow() -> None:
    flow, _, sink = _linear_flow()
    job = flow.execute("src", entry_params={"value": 2}, execution_strategy="concurrent")
    assert JobState.wait_for_completion(flow, job, timeout=WAIT)
    assert flow.execution_strategy == "sequential"
    assert flow.max_workers == 1
    assert job.status == "completed" and sink.seen == [{"value": 2}]


# -- structure methods (§6.2) ---------------------------------------------------------------------


def test_add_routine_returns_id_and_rejects_duplicates() -> None:
    flow = Flow()
    routine = Sink()
    assert flow.add_routine(routine) == routine._id
    assert flow.routines[routine._id] is routine
    assert flow.add_routine(Sink(), "named") == "named"
    with pytest.raises(ValueError, match="Routine ID 'named' already exists in flow"):
        flow.add_routine(Sink(), "named")
    other = Sink()
    assert flow.add_routine(other, "") == other._id  # empty id falls back to _id


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("missing", "out", "sink", "input"), "Source routine 'missing' not found in flow"),
        (("src", "nope", "sink", "input"), "Event 'nope' not found in routine 'src'"),
        (("src", "out", "missing", "input"), "routine 'missing' not found"),
        (("src", "out", "sink", "nope"), "Slot 'nope' not found in routine 'sink'"),
    ],
)
def test_connect_validation(args: tuple, message: str) -> None:
    from engine_fixtures.routines import ValueSource

    flow = Flow()
    flow.add_routine(ValueSource(), "src")
    flow.add_routine(Sink(), "sink")
    with pytest.raises(ValueError, match=message):
        flow.connect(*args)
    assert flow.connections == []


def test_connect_returns_registered_connection_and_self_connection_is_allowed() -> None:
    from engine_fixtures.routines import ValueSource

    flow = Flow()
    src, sink = ValueSource(), Sink()
    flow.add_routine(src, "src")
    flow.add_routine(sink, "sink")
    connection = flow.connect("src", "out", "sink", "input", param_mapping={"value": "v"})
    assert isinstance(connection, Connection)
    assert connection in flow.connections
    assert connection.param_mapping == {"value": "v"}
    assert sink.get_slot("input") in src.get_event("out").connected_slots
    loop = flow.connect("sink", "out", "sink", "input")
    assert loop in flow.connections


def test_set_error_handler() -> None:
    flow = Flow()
    handler = ErrorHandler(strategy="continue")
    flow.set_error_handler(handler)
    assert flow.error_handler is handler


def test_find_routines_by_type_in_insertion_order() -> None:
    from engine_fixtures.routines import ValueSource

    flow = Flow()
    a, b, c = Sink(), ValueSource(), SinkSubclass()
    flow.add_routine(a, "a")
    flow.add_routine(b, "b")
    flow.add_routine(c, "c")
    assert flow.find_routines_by_type(Sink) == [("a", a), ("c", c)]
    assert flow.find_routines_by_type(SinkSubclass) == [("c", c)]
    assert flow.find_routines_by_type(ValueSource) == [("b", b)]


def test_get_routine_retry_count_uses_routine_level_handler_only() -> None:
    flow = Flow()
    flow.set_error_handler(ErrorHandler(strategy="retry"))
    with_handler, without = Sink(), Sink()
    handler = ErrorHandler(strategy="retry", max_retries=4)
    handler.retry_count = 3
    with_handler.set_error_handler(handler)
    flow.add_routine(with_handler, "with")
    flow.add_routine(without, "without")
    assert flow.get_routine_retry_count("with") == 3
    assert flow.get_routine_retry_count("without") is None
    assert flow.get_routine_retry_count("unknown") is None


def test_get_routine_id_and_find_connection() -> None:
    flow, src, sink = _linear_flow()
    stranger = Sink()
    assert flow._get_routine_id(src) == "src"
    assert flow._get_routine_id(sink) == "sink"
    assert flow._get_routine_id(stranger) is None
    event, slot = src.get_event("out"), sink.get_slot("input")
    assert flow._find_connection(event, slot) is flow.connections[0]
    assert flow._find_connection(event, stranger.get_slot("input")) is None


def test_dependency_graph_and_ready_routines() -> None:
    from engine_fixtures.routines import ValueSource

    flow = Flow()
    for rid in ("a", "b", "c", "lonely"):
        flow.add_routine(Sink() if rid != "a" else ValueSource(), rid)
    flow.connect("a", "out", "b", "input")
    flow.connect("a", "out", "c", "input")
    flow.connect("b", "out", "c", "input")
    flow.connect("c", "out", "c", "input")  # a self loop adds no dependency
    graph = flow._build_dependency_graph()
    assert graph == {"a": set(), "b": {"a"}, "c": {"a", "b"}, "lonely": set()}
    assert sorted(flow._get_ready_routines(set(), graph, set())) == ["a", "lonely"]
    assert sorted(flow._get_ready_routines({"a"}, graph, {"lonely"})) == ["b"]
    assert flow._get_ready_routines({"a", "b"}, graph, set()) == ["c", "lonely"]
    assert flow._get_ready_routines({"a", "b", "c", "lonely"}, graph, set()) == []


# -- routines shared between flows (§6.2, §20 item 11) ----------------------------------------------


def test_same_routine_instance_in_two_flows() -> None:
    from engine_fixtures.routines import ValueSource

    src, sink = ValueSource(), Sink()
    flows = []
    for index in range(2):
        flow = Flow(flow_id=f"flow-{index}")
        flow.add_routine(src, "src")
        flow.add_routine(sink, "sink")
        flow.connect("src", "out", "sink", "input")
        flows.append(flow)
    first = _run(flows[0], value="one")
    second = _run(flows[1], value="two")
    assert (first.status, second.status) == ("completed", "completed")
    assert (first.flow_id, second.flow_id) == ("flow-0", "flow-1")
    assert sink.seen == [{"value": "one"}, {"value": "two"}]
    assert src._current_flow is flows[1]


# -- execute errors --------------------------------------------------------------------------------


def test_execute_unknown_entry_raises() -> None:
    flow, _, _ = _linear_flow()
    with pytest.raises(ValueError, match="Entry routine 'ghost' not found in flow"):
        flow.execute("ghost")
    with pytest.raises(ValueError, match="not found"):
        flow.execute(entry_routine_id="ghost", entry_params={})


def test_execute_accepts_keyword_entry_routine_id() -> None:
    flow, _, sink = _linear_flow()
    job = flow.execute(entry_routine_id="src", entry_params={"value": 8})
    assert JobState.wait_for_completion(flow=flow, job_state=job, timeout=WAIT)
    assert sink.seen == [{"value": 8}]


# -- deprecated waiting and shutdown (§8.4, §6.3, §20 item 21) ------------------------------------------


def test_deprecated_flow_wait_for_completion_warns_in_both_forms() -> None:
    flow, _, sink = _linear_flow()
    job = flow.execute("src", entry_params={"value": 1})
    with pytest.warns(DeprecationWarning):
        assert flow.wait_for_completion(timeout=WAIT, job_state=job) is True
    assert job.status == "completed"
    with pytest.warns(DeprecationWarning):
        assert flow.wait_for_completion(timeout=WAIT) is True
    assert sink.seen == [{"value": 1}]


def test_shutdown_then_execute_again_without_deprecation_warning() -> None:
    flow, _, sink = _linear_flow(execution_strategy="concurrent", max_workers=3)
    first = _run(flow, value=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        flow.shutdown()
        assert flow._executor is None
        second = _run(flow, value=2)
        flow.shutdown(wait=True, timeout=WAIT)
    assert (first.status, second.status) == ("completed", "completed")
    assert first.job_id != second.job_id
    assert sink.seen == [{"value": 1}, {"value": 2}]


def test_get_executor_is_lazy_and_stable() -> None:
    flow, _, _ = _linear_flow()
    assert flow._executor is None
    executor = flow._get_executor()
    assert executor is not None
    assert flow._get_executor() is executor
    flow.shutdown()
    assert flow._executor is None


# -- history cap (Flow(history_limit=...)) ------------------------------------------------------------


def _burst_flow(**flow_kwargs: Any) -> tuple[Flow, Sink]:
    from engine_fixtures.routines import Source

    flow = Flow(**flow_kwargs)
    sink = Sink()
    flow.add_routine(Source(field="index"), "burst")
    flow.add_routine(sink, "sink")
    flow.connect("burst", "out", "sink", "input")
    return flow, sink


def _emit_records(job: JobState) -> list[Any]:
    return [r for r in job.get_execution_history("burst") if r.event_name == "out"]


def test_history_limit_bounds_emit_records_per_job() -> None:
    flow, sink = _burst_flow(history_limit=5)
    job = flow.execute("burst", entry_params={"count": 20})
    assert JobState.wait_for_completion(flow, job, timeout=WAIT)
    assert len(sink.seen) == 20  # the cap limits records, not delivery
    records = _emit_records(job)
    assert len(records) == 5
    assert [r.data["index"] for r in records] == [15, 16, 17, 18, 19]  # the newest are kept
    assert job.get_execution_history("burst")[0].event_name == "start"


def test_history_limit_zero_turns_emit_records_off() -> None:
    flow, sink = _burst_flow(history_limit=0)
    job = flow.execute("burst", entry_params={"count": 10})
    assert JobState.wait_for_completion(flow, job, timeout=WAIT)
    assert len(sink.seen) == 10
    assert _emit_records(job) == []
    assert job.status == "completed"


def test_history_limit_is_per_job() -> None:
    flow, _ = _burst_flow(history_limit=3)
    big = flow.execute("burst", entry_params={"count": 10})
    small = flow.execute("burst", entry_params={"count": 2})
    assert JobState.wait_for_completion(flow, big, timeout=WAIT)
    assert JobState.wait_for_completion(flow, small, timeout=WAIT)
    assert len(_emit_records(big)) == 3
    assert [r.data["index"] for r in _emit_records(small)] == [0, 1]


def test_history_unbounded_with_none() -> None:
    flow, _ = _burst_flow(history_limit=None)
    job = flow.execute("burst", entry_params={"count": 50})
    assert JobState.wait_for_completion(flow, job, timeout=WAIT)
    assert len(_emit_records(job)) == 50
