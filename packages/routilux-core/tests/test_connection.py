"""Connection: construction, mapping semantics, activate, disconnect (spec §5)."""

from __future__ import annotations

from typing import Any

import pytest

from routilux import Connection, JobState, Routine
from routilux.event import Event
from routilux.routine import _current_job_state
from routilux.slot import Slot


def _pair() -> tuple:
    src = Routine()
    src._id = "src"
    dst = Routine()
    dst._id = "dst"
    received: list[dict[str, Any]] = []
    event = src.define_event("out")
    slot = dst.define_slot("inp", handler=lambda **kw: received.append(kw))
    return event, slot, received


def test_default_construction() -> None:
    c = Connection()
    assert c.source_event is None
    assert c.target_slot is None
    assert c.param_mapping == {}


def test_construction_links_event_and_slot() -> None:
    event, slot, _ = _pair()
    c = Connection(event, slot, {"a": "b"})
    assert c.source_event is event
    assert c.target_slot is slot
    assert c.param_mapping == {"a": "b"}
    assert event.connected_slots == [slot]
    assert slot.connected_events == [event]


def test_construction_with_one_end_does_not_link() -> None:
    event = Event("e")
    Connection(event, None)
    assert event.connected_slots == []
    slot = Slot("s")
    Connection(None, slot)
    assert slot.connected_events == []


def test_two_connections_same_ends_link_once() -> None:
    event, slot, _ = _pair()
    Connection(event, slot)
    Connection(event, slot)
    assert event.connected_slots == [slot]


def test_none_mapping_becomes_empty_dict() -> None:
    event, slot, _ = _pair()
    assert Connection(event, slot, None).param_mapping == {}


def test_repr() -> None:
    event, slot, _ = _pair()
    c = Connection(event, slot)
    assert repr(c) == "Connection[Event[src.out] -> Slot[dst.inp]]"
    assert repr(Connection(Event("e"), Slot("s"))) == "Connection[Event[e] -> Slot[s]]"


def test_identity_equality_and_hashing() -> None:
    event, slot, _ = _pair()
    a, b = Connection(event, slot), Connection(event, slot)
    assert a == a and a != b
    assert len({a, b}) == 2
    assert a in [a] and b not in [a]


# -- mapping -------------------------------------------------------------------------------------


def test_empty_mapping_returns_same_object() -> None:
    data = {"a": 1}
    assert Connection()._apply_mapping(data) is data


def test_mapping_keeps_source_key_and_unmapped_keys() -> None:
    c = Connection(param_mapping={"a": "x"})
    assert c._apply_mapping({"a": 1, "c": 3}) == {"x": 1, "a": 1, "c": 3}


def test_mapping_drops_incoming_key_equal_to_target_name() -> None:
    c = Connection(param_mapping={"a": "x"})
    assert c._apply_mapping({"x": 9}) == {}


def test_mapping_target_wins_over_incoming_key_of_same_name() -> None:
    c = Connection(param_mapping={"a": "x"})
    assert c._apply_mapping({"a": 1, "x": 9}) == {"x": 1, "a": 1}


def test_mapping_missing_source_key_is_skipped() -> None:
    c = Connection(param_mapping={"missing": "y", "a": "x"})
    assert c._apply_mapping({"a": 1, "b": 2}) == {"x": 1, "a": 1, "b": 2}


def test_mapping_with_several_entries_and_swap() -> None:
    c = Connection(param_mapping={"a": "b", "b": "a"})
    # both names are targets, so only the mapped values remain
    assert c._apply_mapping({"a": 1, "b": 2}) == {"b": 1, "a": 2}


def test_mapping_fan_out_from_one_source() -> None:
    c = Connection(param_mapping={"a": "x"})
    out = c._apply_mapping({"a": [1, 2]})
    assert out["x"] is out["a"]  # values are not copied


def test_mapping_does_not_mutate_input() -> None:
    c = Connection(param_mapping={"a": "x"})
    data = {"a": 1, "x": 2, "c": 3}
    c._apply_mapping(data)
    assert data == {"a": 1, "x": 2, "c": 3}


def test_mapping_result_order_mapped_first() -> None:
    c = Connection(param_mapping={"c": "z"})
    assert list(c._apply_mapping({"a": 1, "c": 3})) == ["z", "a", "c"]


# -- activate ----------------------------------------------------------------------------------


def test_activate_applies_mapping_and_delivers_synchronously() -> None:
    event, slot, received = _pair()
    c = Connection(event, slot, {"value": "mapped_param"})
    c.activate({"value": 1, "other_param": 2})
    assert received == [{"mapped_param": 1, "value": 1, "other_param": 2}]


def test_activate_handler_gets_mapped_and_unmapped_params() -> None:
    got: list[Any] = []
    dst = Routine()
    slot = dst.define_slot(
        "inp", handler=lambda mapped_param, other_param: got.append((mapped_param, other_param))
    )
    c = Connection(Event("e"), slot, {"source_param": "mapped_param"})
    c.activate({"source_param": "m", "other_param": "o"})
    assert got == [("m", "o")]


def test_activate_passes_no_job_state() -> None:
    seen: list[Any] = []
    slot = Slot("s", None, lambda **kw: seen.append((kw, _current_job_state.get(None))))
    Connection(Event("e"), slot).activate({"a": 1})
    assert seen == [({"a": 1}, None)]


def test_activate_keeps_outer_job_state() -> None:
    outer = JobState("o")
    seen: list[Any] = []
    slot = Slot("s", None, lambda **kw: seen.append(_current_job_state.get(None)))
    token = _current_job_state.set(outer)
    try:
        Connection(Event("e"), slot).activate({"a": 1})
    finally:
        _current_job_state.reset(token)
    assert seen == [outer]


def test_activate_swallows_handler_errors() -> None:
    def boom(**kw: Any) -> None:
        raise RuntimeError("x")

    Connection(Event("e"), Slot("s", None, boom)).activate({"a": 1})


def test_activate_uses_slot_merge_strategy() -> None:
    got: list[Any] = []
    slot = Slot("s", None, lambda v: got.append(list(v)), merge_strategy="append")
    c = Connection(Event("e"), slot, {"a": "v"})
    c.activate({"a": 1})
    c.activate({"a": 2})
    assert got == [[1], [1, 2]]


# -- disconnect ----------------------------------------------------------------------------------


def test_disconnect_unlinks_and_is_idempotent() -> None:
    event, slot, received = _pair()
    c = Connection(event, slot)
    c.disconnect()
    assert event.connected_slots == []
    assert slot.connected_events == []
    c.disconnect()
    assert c.source_event is event and c.target_slot is slot
    event.emit(value=1)
    assert received == []


def test_disconnect_without_ends_is_safe() -> None:
    Connection().disconnect()
    Connection(Event("e")).disconnect()


def test_disconnect_leaves_other_links() -> None:
    event, slot, _ = _pair()
    other = Slot("other")
    c1 = Connection(event, slot)
    Connection(event, other)
    c1.disconnect()
    assert event.connected_slots == [other]


@pytest.mark.parametrize(
    ("mapping", "data", "expected"),
    [
        ({}, {"a": 1}, {"a": 1}),
        ({"a": "x"}, {"a": 1, "c": 3}, {"x": 1, "a": 1, "c": 3}),
        ({"a": "x"}, {"x": 9}, {}),
        ({"a": "x", "b": "y"}, {"a": 1, "b": 2, "c": 3}, {"x": 1, "y": 2, "a": 1, "b": 2, "c": 3}),
        ({"a": "x"}, {}, {}),
    ],
)
def test_mapping_table(mapping: dict[str, str], data: dict[str, Any], expected: dict[str, Any]) -> None:
    assert Connection(param_mapping=mapping)._apply_mapping(data) == expected
