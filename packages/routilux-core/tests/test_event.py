"""Event: construction, links, legacy and flow emit (spec §4)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from routilux import Flow, JobState, Routine
from routilux.event import Event
from routilux.routine import _current_job_state
from routilux.slot import Slot


def _recording_slot(name: str = "s") -> tuple:
    received: list[dict[str, Any]] = []
    slot = Slot(name, None, lambda **kw: received.append(kw))
    return slot, received


def test_default_construction() -> None:
    e = Event()
    assert e.name == ""
    assert e.routine is None
    assert e.output_params == []
    assert e.connected_slots == []


def test_construction_with_values() -> None:
    r = Routine()
    e = Event("out", r, ["a", "b"])
    assert (e.name, e.routine, e.output_params) == ("out", r, ["a", "b"])
    assert isinstance(e.output_params, list)


def test_fresh_events_do_not_share_lists() -> None:
    a, b = Event("a"), Event("b")
    a.connected_slots.append(Slot("s"))
    a.output_params.append("x")
    assert b.connected_slots == [] and b.output_params == []


def test_repr_with_and_without_routine() -> None:
    assert repr(Event("lonely")) == "Event[lonely]"
    r = Routine()
    r._id = "rid"
    assert repr(r.define_event("out")) == "Event[rid.out]"


def test_identity_equality_and_hashing() -> None:
    a, b = Event("same"), Event("same")
    assert a == a and a != b
    assert len({a, b}) == 2
    assert a in [a] and b not in [a]
    assert {(a, Slot("x")): 1}  # usable inside tuple keys


def test_connect_is_idempotent_and_bidirectional() -> None:
    e, s = Event("e"), Slot("s")
    e.connect(s)
    e.connect(s)
    e.connect(s, {"ignored": "mapping"})
    assert e.connected_slots == [s]
    assert s.connected_events == [e]


def test_disconnect_is_idempotent_and_bidirectional() -> None:
    e, s = Event("e"), Slot("s")
    e.connect(s)
    e.disconnect(s)
    e.disconnect(s)
    assert e.connected_slots == []
    assert s.connected_events == []
    e.disconnect(Slot("never-connected"))


def test_connect_preserves_order_and_disconnect_removes_one() -> None:
    e = Event("e")
    slots = [Slot(f"s{i}") for i in range(3)]
    for s in slots:
        e.connect(s)
    assert e.connected_slots == slots
    e.disconnect(slots[1])
    assert e.connected_slots == [slots[0], slots[2]]
    assert slots[1].connected_events == []


def test_emit_without_slots_does_nothing() -> None:
    assert Event(name="x").emit(data=1) is None
    assert Event(name="x", routine=Routine()).emit() is None


def test_legacy_emit_delivers_in_order_synchronously() -> None:
    e = Event("e")
    order: list[Any] = []
    for i in range(3):
        e.connect(Slot(f"s{i}", None, lambda value, _i=i: order.append((_i, value))))
    e.emit(value="v")
    assert order == [(0, "v"), (1, "v"), (2, "v")]


def test_legacy_emit_with_routine_without_flow() -> None:
    r = Routine()
    e = r.define_event("out")
    s, received = _recording_slot()
    e.connect(s)
    e.emit(a=1, b=2)
    assert received == [{"a": 1, "b": 2}]


def test_legacy_emit_passes_no_job_state_to_receivers() -> None:
    e = Event("e")
    seen: list[Any] = []
    s = Slot("s", None, lambda **kw: seen.append((kw, _current_job_state.get(None))))
    e.connect(s)
    e.emit(job_state=JobState("f"), value=1)
    assert seen == [({"value": 1}, None)]


def test_legacy_emit_swallows_handler_errors() -> None:
    e = Event("e")

    def boom(**kw: Any) -> None:
        raise RuntimeError("fail")

    good, received = _recording_slot()
    e.connect(Slot("bad", None, boom))
    e.connect(good)
    e.emit(value=1)
    assert received == [{"value": 1}]


def test_legacy_emit_tolerates_slot_disconnecting_during_delivery() -> None:
    e = Event("e")
    received: list[str] = []
    second = Slot("second", None, lambda **kw: received.append("second"))

    def first_handler(**kw: Any) -> None:
        received.append("first")
        e.disconnect(second)

    e.connect(Slot("first", None, first_handler))
    e.connect(second)
    e.emit(value=1)
    assert received[0] == "first"
    assert e.connected_slots[0].name == "first" and len(e.connected_slots) == 1


def test_flow_emit_routes_by_connected_slots_unmapped() -> None:
    """A link made with Event.connect (no Connection) still delivers in flow mode, unmapped."""
    flow = Flow()
    src = Routine()
    event = src.define_event("out")
    flow.add_routine(src, "src")
    done = threading.Event()
    got: list[Any] = []

    def handler(**kw: Any) -> None:
        got.append((kw, _current_job_state.get(None)))
        done.set()

    event.connect(Slot("loose", None, handler))
    job = JobState(flow.flow_id)
    event.emit(flow=flow, job_state=job, value=3)
    assert done.wait(10)
    assert got == [({"value": 3}, job)]
    flow.shutdown(wait=False)


def test_flow_emit_uses_routine_current_flow() -> None:
    flow = Flow()
    src = Routine()
    event = src.define_event("out")
    flow.add_routine(src, "src")
    src._current_flow = flow
    done = threading.Event()
    threads: list[Any] = []

    def handler(**kw: Any) -> None:
        threads.append(threading.current_thread())
        done.set()

    event.connect(Slot("s", None, handler))
    job = JobState(flow.flow_id)
    token = _current_job_state.set(job)
    try:
        event.emit(value=1)
    finally:
        _current_job_state.reset(token)
    assert done.wait(10)
    assert threads and threads[0] is not threading.current_thread()
    flow.shutdown(wait=False)


@pytest.mark.parametrize("count", [1, 3])
def test_event_emit_kwargs_copied_per_delivery(count: int) -> None:
    e = Event("e")
    payloads: list[dict[str, Any]] = []
    for i in range(count):
        e.connect(Slot(f"s{i}", None, lambda **kw: payloads.append(kw)))
    e.emit(value=[1])
    assert payloads == [{"value": [1]}] * count
