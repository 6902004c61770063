"""Routine: construction, identity, slots/events, config, error-handler helpers, emit (spec §2)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from routilux import ErrorHandler, ErrorStrategy, Flow, JobState, Routine
from routilux.event import Event
from routilux.routine import ExecutionContext, _current_job_state
from routilux.slot import Slot


class Source(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.define_event("out", ["value"])


class Sink(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.received: list[dict[str, Any]] = []
        self.define_slot("inp", handler=self._collect)

    def _collect(self, **kwargs: Any) -> None:
        self.received.append(kwargs)


# -- §2.1 construction and identity -----------------------------------------------------------


def test_fresh_routine_defaults() -> None:
    r = Routine()
    assert isinstance(r._id, str) and r._id
    assert r._slots == {}
    assert r._events == {}
    assert r._config == {} and len(r._config) == 0
    assert r._error_handler is None
    assert r.get_error_handler() is None
    assert getattr(r, "_current_flow", None) is None


def test_routine_ids_are_unique_and_assignable() -> None:
    routines = [Routine() for _ in range(200)]
    assert len({r._id for r in routines}) == 200
    r = routines[0]
    r._id = "custom-id"
    assert r._id == "custom-id"
    assert repr(r) == "Routine[custom-id]"


def test_ids_stay_unique_after_garbage_collection() -> None:
    seen = set()
    for _ in range(500):
        r = Routine()  # the previous one is freed, its address may be reused
        assert r._id not in seen
        seen.add(r._id)


def test_repr_uses_class_name_and_id() -> None:
    s = Source()
    assert repr(s) == f"Source[{s._id}]"


def test_identity_equality_and_hashing() -> None:
    a, b = Routine(), Routine()
    b._id = a._id  # same id, still different routines
    assert a == a
    assert a != b
    assert a in [a] and b not in [a]
    assert len({a, b, a}) == 2
    d = {a: 1, b: 2}
    assert d[a] == 1 and d[b] == 2


def test_no_id_attribute_and_user_names_are_free() -> None:
    r = Routine()
    assert not hasattr(r, "id")
    # Names user subclasses set freely (spec §0.5) must be plain assignable attributes.
    for name in ("name", "routine_id", "tracker", "result", "called", "input_slot", "output_event"):
        setattr(r, name, 42)
        assert getattr(r, name) == 42


def test_call_is_a_noop() -> None:
    r = Sink()
    assert r() is None
    assert r(a=1, b=2) is None
    assert r.received == []


# -- §2.2 slots and events ---------------------------------------------------------------------


def test_define_slot_creates_and_stores_slot() -> None:
    r = Routine()

    def handler(data: Any) -> None:
        pass

    slot = r.define_slot("inp", handler, merge_strategy="append")
    assert isinstance(slot, Slot)
    assert r._slots == {"inp": slot}
    assert slot.name == "inp"
    assert slot.routine is r
    assert slot.handler is handler
    assert slot.merge_strategy == "append"
    assert r.get_slot("inp") is slot


def test_define_slot_defaults() -> None:
    slot = Routine().define_slot("s")
    assert slot.handler is None
    assert slot.merge_strategy == "override"


@pytest.mark.parametrize(
    "kind, name, routine_id", [("slot", "inp", "dup-routine"), ("event", "out", "dup-events")]
)
def test_define_duplicate_raises_naming_routine(kind: str, name: str, routine_id: str) -> None:
    r = Routine()
    r._id = routine_id
    define, get = getattr(r, f"define_{kind}"), getattr(r, f"get_{kind}")
    first = define(name)
    with pytest.raises(ValueError) as info:
        define(name)
    message = str(info.value)
    assert name in message
    assert "already exists" in message
    assert repr(r) in message
    assert get(name) is first


def test_define_event_creates_and_stores_event() -> None:
    r = Routine()
    event = r.define_event("out", ["a", "b"])
    assert isinstance(event, Event)
    assert r._events == {"out": event}
    assert event.name == "out"
    assert event.routine is r
    assert event.output_params == ["a", "b"]
    assert r.get_event("out") is event
    assert r.define_event("bare").output_params == []


def test_slot_and_event_may_share_a_name() -> None:
    r = Routine()
    r.define_slot("x")
    r.define_event("x")
    assert r.get_slot("x") is not None and r.get_event("x") is not None


def test_get_slot_and_get_event_return_none_when_missing() -> None:
    r = Routine()
    assert r.get_slot("missing") is None
    assert r.get_event("missing") is None
    r.define_slot("only_slot")
    assert r.get_event("only_slot") is None


def test_output_params_not_enforced() -> None:
    src, sink = Source(), Sink()
    src.get_event("out").connect(sink.get_slot("inp"))
    src.emit("out", value=1, extra="allowed")
    assert sink.received == [{"value": 1, "extra": "allowed"}]


# -- §2.3 configuration ------------------------------------------------------------------------


def test_set_config_updates_in_place() -> None:
    r = Routine()
    config_obj = r._config
    r.set_config(a=1, b=2)
    r.set_config(b=3, c=None)
    assert r._config is config_obj
    assert r._config == {"a": 1, "b": 3, "c": None}


def test_get_config_value_or_default() -> None:
    r = Routine()
    r.set_config(zero=0, empty="", flag=False)
    assert r.get_config("zero") == 0
    assert r.get_config("empty", "default") == ""
    assert r.get_config("flag", True) is False
    assert r.get_config("missing") is None
    assert r.get_config("missing", "dflt") == "dflt"


def test_config_returns_shallow_copy() -> None:
    r = Routine()
    nested = {"k": [1]}
    r.set_config(a=1, nested=nested)
    copy = r.config()
    assert copy == {"a": 1, "nested": {"k": [1]}}
    assert copy is not r._config
    copy["a"] = 99
    copy["new"] = True
    assert r._config == {"a": 1, "nested": {"k": [1]}}
    # shallow: nested objects are shared
    assert copy["nested"] is nested


# -- §2.4 error-handler helpers ------------------------------------------------------------------


def test_set_and_get_error_handler() -> None:
    r = Routine()
    eh = ErrorHandler("retry")
    r.set_error_handler(eh)
    assert r.get_error_handler() is eh
    r.set_error_handler(None)
    assert r.get_error_handler() is None


def test_set_as_optional_defaults_to_continue() -> None:
    r = Routine()
    r.set_as_optional()
    eh = r.get_error_handler()
    assert isinstance(eh, ErrorHandler)
    assert eh.strategy is ErrorStrategy.CONTINUE
    assert eh.is_critical is False


def test_set_as_optional_with_skip() -> None:
    r = Routine()
    r.set_as_optional(ErrorStrategy.SKIP)
    eh = r.get_error_handler()
    assert eh.strategy is ErrorStrategy.SKIP
    assert eh.is_critical is False


def test_set_as_critical_defaults() -> None:
    r = Routine()
    r.set_as_critical()
    eh = r.get_error_handler()
    assert eh.strategy is ErrorStrategy.RETRY
    assert (eh.max_retries, eh.retry_delay, eh.retry_backoff) == (3, 1.0, 2.0)
    assert eh.is_critical is True
    assert eh.retry_count == 0


def test_set_as_critical_custom_values() -> None:
    r = Routine()
    r.set_as_critical(max_retries=5, retry_delay=0.5, retry_backoff=3.0)
    eh = r.get_error_handler()
    assert (eh.max_retries, eh.retry_delay, eh.retry_backoff, eh.is_critical) == (5, 0.5, 3.0, True)


def test_helpers_replace_previous_handler() -> None:
    r = Routine()
    r.set_as_critical()
    critical = r.get_error_handler()
    r.set_as_optional()
    assert r.get_error_handler() is not critical
    assert r.get_error_handler().strategy is ErrorStrategy.CONTINUE


# -- §2.5 emit -------------------------------------------------------------------------------------


def test_emit_unknown_event_raises_value_error() -> None:
    r = Source()
    r._id = "emitter"
    with pytest.raises(ValueError) as info:
        r.emit("nope", value=1)
    message = str(info.value)
    assert "nope" in message
    assert "does not exist" in message
    assert repr(r) in message


def test_emit_unknown_event_raises_even_with_flow() -> None:
    flow = Flow()
    r = Source()
    flow.add_routine(r, "src")
    with pytest.raises(ValueError):
        r.emit("nope", flow=flow, job_state=JobState(flow.flow_id))


def test_emit_without_connections_does_nothing() -> None:
    r = Source()
    assert r.emit("out", value=1) is None
    assert r.emit("out") is None


def test_legacy_emit_delivers_synchronously_in_caller_thread() -> None:
    src, sink = Source(), Sink()
    threads: list[threading.Thread] = []

    def handler(**kw: Any) -> None:
        threads.append(threading.current_thread())
        sink.received.append(kw)

    sink.get_slot("inp").handler = handler
    src.get_event("out").connect(sink.get_slot("inp"))
    src.emit("out", value=5)
    # synchronous: delivered before emit returned, in this thread
    assert sink.received == [{"value": 5}]
    assert threads == [threading.current_thread()]


def test_legacy_emit_delivers_to_all_slots_in_connection_order() -> None:
    src = Source()
    order: list[str] = []
    sinks = []
    for name in ("a", "b", "c"):
        r = Routine()
        r.define_slot("inp", handler=lambda value, _n=name: order.append(f"{_n}{value}"))
        sinks.append(r)
    for r in sinks:
        src.get_event("out").connect(r.get_slot("inp"))
    src.emit("out", value=1)
    assert order == ["a1", "b1", "c1"]


def test_legacy_emit_applies_no_param_mapping() -> None:
    from routilux import Connection

    src, sink = Source(), Sink()
    Connection(src.get_event("out"), sink.get_slot("inp"), {"value": "renamed"})
    src.emit("out", value=7)
    assert sink.received == [{"value": 7}]


def test_legacy_emit_does_not_leak_explicit_job_state_into_handler_data() -> None:
    src, sink = Source(), Sink()
    src.get_event("out").connect(sink.get_slot("inp"))
    src.emit("out", job_state=JobState("f"), value=1)
    assert sink.received == [{"value": 1}]
    assert "job_state" not in sink.get_slot("inp")._data


def test_legacy_emit_does_not_leak_contextvar_job_state_into_handler_data() -> None:
    src, sink = Source(), Sink()
    src.get_event("out").connect(sink.get_slot("inp"))
    job = JobState("f")
    token = _current_job_state.set(job)
    try:
        src.emit("out", value=2)
    finally:
        _current_job_state.reset(token)
    assert sink.received == [{"value": 2}]


def test_legacy_emit_from_inside_a_receive_with_job_state_does_not_leak() -> None:
    src, sink = Source(), Sink()
    src.get_event("out").connect(sink.get_slot("inp"))
    seen: list[Any] = []

    def trigger(**kw: Any) -> None:
        seen.append(_current_job_state.get(None))
        src.emit("out", value=3)

    src.define_slot("trigger", handler=trigger)
    job = JobState("f")
    src.get_slot("trigger").receive({"x": 1}, job_state=job)
    assert seen == [job]
    assert sink.received == [{"value": 3}]


def test_legacy_emit_swallows_downstream_handler_errors(caplog: pytest.LogCaptureFixture) -> None:
    src = Source()
    calls: list[int] = []

    def boom(value: Any) -> None:
        calls.append(value)
        raise RuntimeError("downstream failure")

    bad = Routine()
    bad.define_slot("inp", handler=boom)
    good = Sink()
    src.get_event("out").connect(bad.get_slot("inp"))
    src.get_event("out").connect(good.get_slot("inp"))
    with caplog.at_level("ERROR"):
        src.emit("out", value=9)  # must not raise
    assert calls == [9]
    assert good.received == [{"value": 9}]
    assert "downstream failure" in caplog.text


def test_emit_with_flow_records_history_without_job_state_key() -> None:
    flow = Flow()
    src = Source()
    flow.add_routine(src, "src")
    job = JobState(flow.flow_id)
    src.emit("out", flow=flow, job_state=job, value=1)
    history = job.get_execution_history()
    assert [(r.routine_id, r.event_name, r.data) for r in history] == [("src", "out", {"value": 1})]


def test_emit_with_flow_uses_contextvar_job_state() -> None:
    flow = Flow()
    src = Source()
    flow.add_routine(src, "src")
    job = JobState(flow.flow_id)
    token = _current_job_state.set(job)
    try:
        src.emit("out", flow=flow, value=2)
    finally:
        _current_job_state.reset(token)
    assert [(r.routine_id, r.event_name, r.data) for r in job.get_execution_history()] == [
        ("src", "out", {"value": 2})
    ]


def test_emit_explicit_flow_wins_over_current_flow() -> None:
    flow_a, flow_b = Flow("a"), Flow("b")
    src = Source()
    flow_a.add_routine(src, "in_a")
    flow_b.add_routine(src, "in_b")
    src._current_flow = flow_a
    job = JobState("b")
    src.emit("out", flow=flow_b, job_state=job, value=1)
    assert [r.routine_id for r in job.get_execution_history()] == ["in_b"]


def test_emit_defaults_to_current_flow() -> None:
    flow = Flow()
    src = Source()
    flow.add_routine(src, "src")
    src._current_flow = flow
    job = JobState(flow.flow_id)
    src.emit("out", job_state=job, value=1)
    assert [r.routine_id for r in job.get_execution_history()] == ["src"]


def test_emit_with_flow_delivers_mapped_data_to_connected_slot() -> None:
    flow = Flow()
    src = Source()
    done = threading.Event()
    got: list[Any] = []

    class Target(Routine):
        def __init__(self) -> None:
            super().__init__()
            self.define_slot("inp", handler=self.on_input)

        def on_input(self, renamed: Any, value: Any) -> None:
            got.append((renamed, value, _current_job_state.get(None)))
            done.set()

    target = Target()
    flow.add_routine(src, "src")
    flow.add_routine(target, "dst")
    flow.connect("src", "out", "dst", "inp", {"value": "renamed"})
    job = JobState(flow.flow_id)
    src.emit("out", flow=flow, job_state=job, value=4)
    assert done.wait(10)
    assert got == [(4, 4, job)]
    flow.shutdown(wait=False)


def test_emit_with_flow_and_no_job_records_nothing() -> None:
    flow = Flow()
    src = Source()
    flow.add_routine(src, "src")
    assert src.emit("out", flow=flow, value=1) is None


# -- §2.6 execution context outside handlers ------------------------------------------------------


def test_execution_context_none_outside_handlers() -> None:
    r = Source()
    assert r.get_execution_context() is None
    with pytest.raises(RuntimeError, match="Cannot emit deferred event"):
        r.emit_deferred_event("out", value=1)
    with pytest.raises(RuntimeError, match="Cannot send output"):
        r.send_output("kind", value=1)


def test_execution_context_inside_receive_with_flow_and_job() -> None:
    flow = Flow()
    r = Routine()
    contexts: list[Any] = []
    r.define_slot("inp", handler=lambda **kw: contexts.append(r.get_execution_context()))
    flow.add_routine(r, "me")
    r._current_flow = flow
    job = JobState(flow.flow_id)
    r.get_slot("inp").receive({"a": 1}, job_state=job)
    (ctx,) = contexts
    assert isinstance(ctx, ExecutionContext)
    f, js, rid = ctx
    assert (f, js, rid) == (flow, job, "me")


# -- §2.7 _extract_input_data ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        (("direct",), {"other": 1}, "direct"),
        ((), {"data": "from-kw", "other": 1}, "from-kw"),
        ((), {"only": 5}, 5),
        ((), {"a": 1, "b": 2}, {"a": 1, "b": 2}),
        ((), {}, {}),
        ((None,), {"single": "s"}, "s"),
        ((0,), {"x": 1}, 0),
        (([],), {}, []),
    ],
)
def test_extract_input_data(args: tuple, kwargs: dict[str, Any], expected: Any) -> None:
    assert Routine()._extract_input_data(*args, **kwargs) == expected


def test_extract_input_data_data_keyword_is_returned_first() -> None:
    r = Routine()
    assert r._extract_input_data(data={"d": 1}, other=2) == {"d": 1}
    assert r._extract_input_data(data=None, other=2) == 2
