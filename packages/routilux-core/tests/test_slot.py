"""Slot: construction, links, merge strategies, dispatch rules, receive and call_handler (spec §3)."""

from __future__ import annotations

import inspect
import logging
import threading
from typing import Any

import pytest

from routilux import ErrorHandler, ErrorStrategy, Flow, JobState, Routine
from routilux.event import Event
from routilux.routine import _current_job_state
from routilux.slot import Slot

# -- §3.1 construction, repr, identity, links ---------------------------------------------------


def test_positional_construction() -> None:
    def handler(data: Any) -> None:
        pass

    slot = Slot("capture", None, handler)
    assert slot.name == "capture"
    assert slot.routine is None
    assert slot.handler is handler
    assert slot.merge_strategy == "override"
    assert slot.connected_events == []
    assert slot._data == {}


def test_default_construction() -> None:
    slot = Slot()
    assert slot.name == ""
    assert slot.routine is None
    assert slot.handler is None
    assert slot.merge_strategy == "override"


def test_fresh_slots_do_not_share_state() -> None:
    a, b = Slot("a"), Slot("b")
    a._data["x"] = 1
    a.connected_events.append(Event("e"))
    assert b._data == {}
    assert b.connected_events == []


def test_repr_with_and_without_routine() -> None:
    assert repr(Slot("lonely")) == "Slot[lonely]"
    r = Routine()
    r._id = "rid"
    assert repr(r.define_slot("inp")) == "Slot[rid.inp]"


def test_routine_and_data_are_assignable() -> None:
    slot = Slot("s")
    r = Routine()
    slot.routine = r
    slot._data = {"preset": 1}
    assert slot.routine is r
    assert slot._data == {"preset": 1}


def test_identity_equality_and_hashing() -> None:
    a, b = Slot("same"), Slot("same")
    assert a != b
    assert a == a
    assert len({a, b}) == 2
    assert a in [a] and b not in [a]


def test_connect_is_bidirectional_and_idempotent() -> None:
    slot, event = Slot("s"), Event("e")
    slot.connect(event)
    slot.connect(event, {"a": "b"})
    assert slot.connected_events == [event]
    assert event.connected_slots == [slot]


def test_disconnect_is_bidirectional_and_idempotent() -> None:
    slot, event = Slot("s"), Event("e")
    slot.connect(event)
    slot.disconnect(event)
    assert slot.connected_events == []
    assert event.connected_slots == []
    slot.disconnect(event)  # no error the second time
    Slot("never").disconnect(event)
    assert event.connected_slots == []


def test_slot_connects_to_several_events() -> None:
    slot = Slot("s")
    e1, e2 = Event("e1"), Event("e2")
    slot.connect(e1)
    e2.connect(slot)
    assert slot.connected_events == [e1, e2]
    slot.disconnect(e1)
    assert slot.connected_events == [e2]
    assert e1.connected_slots == [] and e2.connected_slots == [slot]


# -- §3.2 merge strategies --------------------------------------------------------------------


def test_override_replaces_with_a_copy() -> None:
    slot = Slot("s")
    slot._data = {"old": 1}
    incoming = {"a": 1}
    merged = slot._merge_data(incoming)
    assert merged == {"a": 1}
    assert slot._data == {"a": 1}
    assert slot._data is not incoming
    assert merged is slot._data
    incoming["a"] = 2
    incoming["b"] = 3
    assert slot._data == {"a": 1}


def test_override_drops_old_keys_across_calls() -> None:
    slot = Slot("s")
    slot._merge_data({"a": 1, "b": 2})
    merged = slot._merge_data({"c": 3})
    assert merged == {"c": 3}
    assert slot._data == {"c": 3}


def test_append_accumulates_lists() -> None:
    slot = Slot("s", merge_strategy="append")
    assert slot._merge_data({"k": 1}) == {"k": [1]}
    assert slot._merge_data({"k": 2}) == {"k": [1, 2]}
    assert slot._data == {"k": [1, 2]}


def test_append_wraps_existing_scalar() -> None:
    slot = Slot("s", merge_strategy="append")
    slot._data = {"key": "string"}
    assert slot._merge_data({"key": "new"}) == {"key": ["string", "new"]}
    assert slot._data == {"key": ["string", "new"]}


def test_append_example_from_spec() -> None:
    slot = Slot("s", merge_strategy="append")
    slot._data = {"a": 1}
    merged = slot._merge_data({"a": 2, "b": 3})
    assert merged == {"a": [1, 2], "b": [3]}
    assert slot._data == {"a": [1, 2], "b": [3]}


def test_append_returns_only_incoming_keys_aliasing_stored_lists() -> None:
    slot = Slot("s", merge_strategy="append")
    slot._data = {"kept": [0], "other": "x"}
    merged = slot._merge_data({"kept": 1})
    assert merged == {"kept": [0, 1]}
    assert "other" not in merged
    assert merged["kept"] is slot._data["kept"]
    assert slot._data["other"] == "x"
    merged_again = slot._merge_data({"kept": 2})
    # the earlier result aliases the same growing list
    assert merged["kept"] == [0, 1, 2]
    assert merged_again["kept"] is merged["kept"]


def test_append_appends_list_values_as_items() -> None:
    slot = Slot("s", merge_strategy="append")
    slot._data = {"k": [1]}
    assert slot._merge_data({"k": [2, 3]}) == {"k": [1, [2, 3]]}


def test_custom_merge_callable() -> None:
    calls: list[Any] = []

    def merge(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
        calls.append((dict(old), dict(new)))
        return {**old, **new, "n": old.get("n", 0) + 1}

    slot = Slot("s", merge_strategy=merge)
    first = slot._merge_data({"a": 1})
    assert first == {"a": 1, "n": 1}
    assert slot._data == {"a": 1, "n": 1}
    assert slot._data is not first  # a copy is stored
    first["mutated"] = True
    assert "mutated" not in slot._data
    second = slot._merge_data({"b": 2})
    assert second == {"a": 1, "b": 2, "n": 2}
    assert calls == [({}, {"a": 1}), ({"a": 1, "n": 1}, {"b": 2})]


def test_custom_merge_returns_raw_result() -> None:
    result = {"fixed": True}
    slot = Slot("s", merge_strategy=lambda old, new: result)
    assert slot._merge_data({"x": 1}) is result


def test_custom_merge_non_dict_result_stored_as_is() -> None:
    slot = Slot("s", merge_strategy=lambda old, new: [old, new])
    merged = slot._merge_data({"x": 1})
    assert merged == [{}, {"x": 1}]
    assert slot._data is merged


@pytest.mark.parametrize("strategy", ["invalid_strategy", None, "OVERRIDE", ""])
def test_unknown_strategy_behaves_as_override(strategy: Any) -> None:
    slot = Slot("s", merge_strategy=strategy)
    slot._data = {"old": 1}
    assert slot._merge_data({"a": 1}) == {"a": 1}
    assert slot._data == {"a": 1}
    assert slot._merge_data({"b": 2}) == {"b": 2}


def test_merge_strategy_can_be_changed_after_construction() -> None:
    slot = Slot("s")
    slot.merge_strategy = "append"
    slot._merge_data({"k": 1})
    assert slot._merge_data({"k": 2}) == {"k": [1, 2]}
    slot.merge_strategy = "override"
    assert slot._merge_data({"k": 3}) == {"k": 3}


def test_data_persists_across_receive_calls_and_job_states() -> None:
    got: list[Any] = []
    slot = Slot("s", None, lambda items: got.append(list(items)), merge_strategy="append")
    slot.receive({"items": 1})
    slot.receive({"items": 2}, job_state=JobState("f"))
    slot.receive({"items": 3}, job_state=JobState("g"))
    assert got == [[1], [1, 2], [1, 2, 3]]
    assert slot._data == {"items": [1, 2, 3]}
    slot._data = {}  # manual reset, as the aggregator pattern does
    slot.receive({"items": 4})
    assert got[-1] == [4]


def test_override_receive_leaves_last_data_on_slot() -> None:
    slot = Slot("s", None, lambda **kw: None)
    slot.receive({"a": 1})
    assert slot._data == {"a": 1}


def test_concurrent_appends_lose_no_update() -> None:
    import sys

    threads_count, per_thread = 8, 300
    slot = Slot("s", None, None, merge_strategy="append")
    slot._data = {"scalar": "first"}
    barrier = threading.Barrier(threads_count)
    errors: list[BaseException] = []
    # Switch threads as often as possible so that merges interleave.
    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)

    def worker(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            for i in range(per_thread):
                # "v" is shared, "k<i>" is created by whichever thread comes first,
                # "t<n>" is private, "scalar" starts as a non-list value.
                slot.receive({"v": (n, i), f"k{i}": n, f"t{n}": i, "scalar": (n, i)})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(threads_count)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        sys.setswitchinterval(old_interval)
    assert errors == []
    expected = {(n, i) for n in range(threads_count) for i in range(per_thread)}
    values = slot._data["v"]
    assert len(values) == threads_count * per_thread
    assert set(values) == expected
    for i in range(per_thread):
        assert sorted(slot._data[f"k{i}"]) == list(range(threads_count))
    for n in range(threads_count):
        assert slot._data[f"t{n}"] == list(range(per_thread))
    scalar = slot._data["scalar"]
    assert scalar[0] == "first"
    assert len(scalar) == threads_count * per_thread + 1
    assert set(scalar[1:]) == expected


def test_concurrent_appends_through_merge_data_and_handler() -> None:
    threads_count, per_thread = 8, 100
    seen_lengths: list[int] = []
    lock = threading.Lock()

    def handler(v: list[Any]) -> None:
        with lock:
            seen_lengths.append(len(v))

    slot = Slot("s", None, handler, merge_strategy="append")
    barrier = threading.Barrier(threads_count)

    def worker() -> None:
        barrier.wait(timeout=10)
        for i in range(per_thread):
            slot.receive({"v": i})

    threads = [threading.Thread(target=worker) for _ in range(threads_count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(slot._data["v"]) == threads_count * per_thread
    assert len(seen_lengths) == threads_count * per_thread
    assert max(seen_lengths) == threads_count * per_thread


# -- §3.3 dispatch rules --------------------------------------------------------------------------


def test_var_keyword_handler_receives_unpacked_dict() -> None:
    calls: list[Any] = []

    def handler(**kwargs: Any) -> None:
        calls.append(kwargs)

    Slot("s", None, handler).receive({"a": 1, "b": 2})
    assert calls == [{"a": 1, "b": 2}]


def test_var_keyword_with_named_params() -> None:
    calls: list[Any] = []

    def handler(data: Any = None, **kw: Any) -> None:
        calls.append((data, kw))

    slot = Slot("s", None, handler)
    slot.receive({"data": "payload", "x": 1})
    slot.receive({"y": 2})
    assert calls == [("payload", {"x": 1}), (None, {"y": 2})]


def test_var_keyword_with_required_named_param_missing_is_handler_error() -> None:
    calls: list[Any] = []

    def handler(value: Any, **kw: Any) -> None:
        calls.append(value)

    Slot("s", None, handler).receive({"other": 1})  # TypeError swallowed
    assert calls == []


def test_single_data_param_receives_whole_dict() -> None:
    calls: list[Any] = []

    def handler(data: Any) -> None:
        calls.append(data)

    slot = Slot("s", None, handler)
    slot.receive({"data": "test"})
    slot.receive({"other": 1, "more": 2})
    assert calls == [{"data": "test"}, {"other": 1, "more": 2}]


def test_bound_method_named_data_excludes_self() -> None:
    class R(Routine):
        def __init__(self) -> None:
            super().__init__()
            self.got: list[Any] = []
            self.define_slot("inp", handler=self.process)

        def process(self, data: Any) -> None:
            self.got.append(data)

    r = R()
    r.get_slot("inp").receive({"data": "test"})
    assert r.got == [{"data": "test"}]


def test_single_other_param_present_receives_value() -> None:
    calls: list[Any] = []

    def handler(mapped_param: Any) -> None:
        calls.append(mapped_param)

    Slot("s", None, handler).receive({"mapped_param": "v", "ignored": 1})
    assert calls == ["v"]


def test_single_other_param_absent_receives_whole_dict() -> None:
    calls: list[Any] = []

    def handler(value: Any) -> None:
        calls.append(value)

    Slot("s", None, handler).receive({"a": 1, "b": 2})
    assert calls == [{"a": 1, "b": 2}]


def test_single_param_with_append_receives_accumulated_list() -> None:
    class R(Routine):
        def __init__(self) -> None:
            super().__init__()
            self.got: list[Any] = []
            self.define_slot("inp", handler=self.process, merge_strategy="append")

        def process(self, result: Any) -> None:
            self.got.append(list(result))

    r = R()
    for n in range(3):
        r.get_slot("inp").receive({"result": n})
    assert r.got == [[0], [0, 1], [0, 1, 2]]


def test_single_var_positional_param_gets_value_or_dict() -> None:
    calls: list[Any] = []

    def handler(*args: Any) -> None:
        calls.append(args)

    slot = Slot("s", None, handler)
    slot.receive({"x": 1})
    slot.receive({"args": "named"})
    assert calls == [({"x": 1},), ("named",)]


def test_two_params_receive_matching_keys() -> None:
    calls: list[Any] = []

    def handler(a: Any, b: Any = "default") -> None:
        calls.append((a, b))

    slot = Slot("s", None, handler)
    slot.receive({"a": 1, "b": 2, "c": 3})
    slot.receive({"a": 10, "zzz": 0})
    assert calls == [(1, 2), (10, "default")]


def test_two_params_without_matches_receive_dict_positionally() -> None:
    calls: list[Any] = []

    def handler(first: Any, second: Any = "unset") -> None:
        calls.append((first, second))

    Slot("s", None, handler).receive({"x": 1})
    assert calls == [({"x": 1}, "unset")]


def test_two_params_partial_match_missing_required_is_handler_error() -> None:
    calls: list[Any] = []

    def handler(a: Any, b: Any) -> None:
        calls.append((a, b))

    Slot("s", None, handler).receive({"a": 1})  # b missing → TypeError, swallowed
    assert calls == []


def test_keyword_only_params_are_matched() -> None:
    calls: list[Any] = []

    def handler(a: Any, *, b: Any) -> None:
        calls.append((a, b))

    Slot("s", None, handler).receive({"a": 1, "b": 2, "c": 3})
    assert calls == [(1, 2)]


def test_zero_arg_handler_fails_and_receive_swallows(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []

    def handler() -> None:
        calls.append(1)

    slot = Slot("s", None, handler)
    with caplog.at_level(logging.ERROR):
        assert slot.receive({"a": 1}) is None
        assert slot.receive({}) is None
    assert calls == []
    assert "TypeError" in caplog.text


def test_zero_arg_handler_raises_type_error_with_propagation() -> None:
    slot = Slot("s", None, lambda: None)
    with pytest.raises(TypeError):
        slot.call_handler({"a": 1}, propagate_exceptions=True)


def test_lambda_and_callable_object_handlers() -> None:
    calls: list[Any] = []

    class Callable_:
        def __call__(self, value: Any) -> None:
            calls.append(("obj", value))

    Slot("s", None, lambda value: calls.append(("lambda", value))).receive({"value": 1})
    Slot("s", None, Callable_()).receive({"value": 2})
    assert calls == [("lambda", 1), ("obj", 2)]


def test_dispatch_decided_once_at_define_slot(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []

    class R(Routine):
        def __init__(self) -> None:
            super().__init__()
            self.define_slot("one", handler=self.one)
            self.define_slot("kw", handler=self.kw)
            self.define_slot("two", handler=self.two)
            self.define_slot("whole", handler=self.whole)

        def one(self, value: Any) -> None:
            calls.append(("one", value))

        def kw(self, **kwargs: Any) -> None:
            calls.append(("kw", kwargs))

        def two(self, a: Any, b: Any) -> None:
            calls.append(("two", a, b))

        def whole(self, data: Any) -> None:
            calls.append(("whole", data))

    r = R()

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("inspect.signature called per activation")

    monkeypatch.setattr(inspect, "signature", broken)
    for _ in range(2):
        r.get_slot("one").receive({"value": 1})
        r.get_slot("kw").receive({"x": 2})
        r.get_slot("two").call_handler({"a": 3, "b": 4}, propagate_exceptions=True)
        r.get_slot("whole").receive({"data": 5})
    assert calls == [
        ("one", 1), ("kw", {"x": 2}), ("two", 3, 4), ("whole", {"data": 5}),
    ] * 2


def test_handler_reassignment_updates_dispatch() -> None:
    calls: list[Any] = []
    slot = Slot("s", None, lambda value: calls.append(("single", value)))
    slot.receive({"value": 1})
    slot.handler = lambda **kw: calls.append(("kw", kw))
    slot.receive({"value": 2})
    assert slot.handler is not None
    assert calls == [("single", 1), ("kw", {"value": 2})]


def test_no_handler_still_merges() -> None:
    slot = Slot("s", merge_strategy="append")
    assert slot.receive({"k": 1}) is None
    assert slot._data == {"k": [1]}


# -- §3.4 receive -----------------------------------------------------------------------------------


def test_receive_swallows_and_logs_handler_errors(caplog: pytest.LogCaptureFixture) -> None:
    def handler(**kw: Any) -> None:
        raise ValueError("handler exploded")

    slot = Slot("s", None, handler)
    with caplog.at_level(logging.ERROR):
        assert slot.receive({"a": 1}) is None
        assert slot.receive({"a": 1}, job_state=JobState("f")) is None
    assert "handler exploded" in caplog.text
    assert any(rec.exc_info for rec in caplog.records)


def test_receive_with_routine_but_no_flow_swallows_and_records_nothing() -> None:
    r = Routine()
    r.define_slot("s", handler=lambda **kw: 1 / 0)
    job = JobState("f")
    r.get_slot("s").receive({"a": 1}, job_state=job)
    assert job.get_execution_history() == []
    assert job.routine_states == {}


def test_receive_merge_errors_propagate() -> None:
    def bad_merge(old: Any, new: Any) -> Any:
        raise KeyError("merge failed")

    calls: list[Any] = []
    slot = Slot("s", None, lambda **kw: calls.append(kw), merge_strategy=bad_merge)
    with pytest.raises(KeyError):
        slot.receive({"a": 1})
    assert calls == []


def test_receive_sets_contextvar_during_handler_and_restores() -> None:
    seen: list[Any] = []
    slot = Slot("s", None, lambda **kw: seen.append(_current_job_state.get(None)))
    job = JobState("f")
    assert _current_job_state.get(None) is None
    slot.receive({"a": 1}, job_state=job)
    assert seen == [job]
    assert _current_job_state.get(None) is None


def test_receive_restores_contextvar_after_handler_error() -> None:
    seen: list[Any] = []

    def handler(**kw: Any) -> None:
        seen.append(_current_job_state.get(None))
        raise RuntimeError("x")

    job = JobState("f")
    Slot("s", None, handler).receive({"a": 1}, job_state=job)
    assert seen == [job]
    assert _current_job_state.get(None) is None


def test_receive_with_job_state_restores_outer_value() -> None:
    outer, inner = JobState("outer"), JobState("inner")
    seen: list[Any] = []
    slot = Slot("s", None, lambda **kw: seen.append(_current_job_state.get(None)))
    token = _current_job_state.set(outer)
    try:
        slot.receive({"a": 1}, job_state=inner)
        assert _current_job_state.get(None) is outer
    finally:
        _current_job_state.reset(token)
    assert seen == [inner]


def test_receive_without_job_state_keeps_outer_value() -> None:
    outer = JobState("outer")
    seen: list[Any] = []
    slot = Slot("s", None, lambda **kw: seen.append(_current_job_state.get(None)))
    token = _current_job_state.set(outer)
    try:
        slot.receive({"a": 1})
        after = _current_job_state.get(None)
    finally:
        _current_job_state.reset(token)
    assert seen == [outer]  # the handler sees the outer job too
    assert after is outer


def test_nested_receive_inside_handler_keeps_outer_job_state() -> None:
    job = JobState("f")
    seen: list[Any] = []
    inner = Slot("inner", None, lambda **kw: seen.append(("inner", _current_job_state.get(None))))

    def outer_handler(**kw: Any) -> None:
        inner.receive({"b": 1})  # legacy receive without job_state
        seen.append(("outer", _current_job_state.get(None)))

    Slot("outer", None, outer_handler).receive({"a": 1}, job_state=job)
    assert seen == [("inner", job), ("outer", job)]


def test_contextvar_is_per_thread() -> None:
    job = JobState("f")
    entered, release = threading.Event(), threading.Event()
    other_thread_saw: list[Any] = []

    def handler(**kw: Any) -> None:
        entered.set()
        assert release.wait(10)

    t = threading.Thread(target=lambda: Slot("s", None, handler).receive({"a": 1}, job_state=job))
    t.start()
    assert entered.wait(10)
    other_thread_saw.append(_current_job_state.get(None))
    release.set()
    t.join(10)
    assert other_thread_saw == [None]


def _boom(**kw: Any) -> None:
    raise RuntimeError("boom")


def _flow_with_failing_routine(error_handler: Any = None) -> tuple:
    flow = Flow()
    r = Routine()
    r.define_slot("inp", handler=_boom)
    flow.add_routine(r, "failing")
    if error_handler is not None:
        r.set_error_handler(error_handler)
    return flow, r, JobState(flow.flow_id)


BOOM = {"slot": "inp", "error": "boom", "error_type": "RuntimeError"}  # the error record of _boom


def _errors(job: JobState) -> list[tuple]:
    return [(rec.routine_id, rec.event_name, rec.data) for rec in job.get_execution_history()]


def test_receive_error_with_flow_and_no_handler_records_error_only() -> None:
    flow, r, job = _flow_with_failing_routine()
    r.get_slot("inp").receive({"a": 1}, job_state=job, flow=flow)
    assert _errors(job) == [("failing", "error", BOOM)]
    assert job.get_routine_state("failing") is None
    assert job.status != "failed"


def test_receive_error_uses_routine_current_flow() -> None:
    flow, r, job = _flow_with_failing_routine()
    r._current_flow = flow
    r.get_slot("inp").receive({"a": 1}, job_state=job)
    assert _errors(job) == [("failing", "error", BOOM)]


@pytest.mark.parametrize("strategy", [ErrorStrategy.CONTINUE, ErrorStrategy.SKIP])
def test_receive_error_continue_or_skip_records_error_only(strategy: ErrorStrategy) -> None:
    flow, r, job = _flow_with_failing_routine(ErrorHandler(strategy))
    r.get_slot("inp").receive({"a": 1}, job_state=job, flow=flow)
    assert _errors(job) == [("failing", "error", BOOM)]
    assert job.get_routine_state("failing") is None
    assert job.status != "failed"


def test_receive_error_routine_stop_marks_routine_failed() -> None:
    flow, r, job = _flow_with_failing_routine(ErrorHandler("stop"))
    r.get_slot("inp").receive({"a": 1}, job_state=job, flow=flow)
    assert ("failing", "error", BOOM) in _errors(job)
    assert job.get_routine_state("failing") == {"status": "failed", "error": "boom"}


def test_receive_error_uses_flow_level_handler_when_routine_has_none() -> None:
    """Routine-level over flow-level over default: a flow-level STOP fails the routine and the job.

    (0.10 ignored the flow-level handler here; §7.5 lets tests accept either outcome and our
    engine resolves handlers the same way everywhere.)
    """
    flow, r, job = _flow_with_failing_routine()
    flow.set_error_handler(ErrorHandler("stop"))
    r.get_slot("inp").receive({"a": 1}, job_state=job, flow=flow)
    assert _errors(job) == [("failing", "error", BOOM)]
    assert job.get_routine_state("failing") == {"status": "failed", "error": "boom"}
    assert job.status == "failed"


def test_receive_error_routine_level_handler_beats_flow_level() -> None:
    flow, r, job = _flow_with_failing_routine()
    flow.set_error_handler(ErrorHandler("stop"))
    r.set_error_handler(ErrorHandler("continue"))
    r.get_slot("inp").receive({"a": 1}, job_state=job, flow=flow)
    assert _errors(job) == [("failing", "error", BOOM)]
    assert job.get_routine_state("failing") is None
    assert job.status != "failed"


# -- §3.5 call_handler ------------------------------------------------------------------------------


def test_call_handler_merges_and_dispatches() -> None:
    calls: list[Any] = []
    slot = Slot("s", None, lambda items: calls.append(list(items)), merge_strategy="append")
    slot.call_handler({"items": 1})
    slot.call_handler({"items": 2})
    assert calls == [[1], [1, 2]]


def test_call_handler_propagates_when_asked() -> None:
    def handler(**kw: Any) -> None:
        raise ValueError("propagated")

    slot = Slot("s", None, handler)
    with pytest.raises(ValueError, match="propagated"):
        slot.call_handler({"a": 1}, propagate_exceptions=True)


def test_call_handler_swallows_by_default(caplog: pytest.LogCaptureFixture) -> None:
    def handler(**kw: Any) -> None:
        raise ValueError("swallowed")

    with caplog.at_level(logging.ERROR):
        assert Slot("s", None, handler).call_handler({"a": 1}) is None
    assert "swallowed" in caplog.text


def test_call_handler_does_not_touch_contextvar() -> None:
    outer = JobState("o")
    seen: list[Any] = []
    slot = Slot("s", None, lambda **kw: seen.append(_current_job_state.get(None)))
    slot.call_handler({"a": 1})
    token = _current_job_state.set(outer)
    try:
        slot.call_handler({"a": 1})
        assert _current_job_state.get(None) is outer
    finally:
        _current_job_state.reset(token)
    assert seen == [None, outer]


def test_call_handler_without_handler() -> None:
    slot = Slot("s")
    assert slot.call_handler({"a": 1}, propagate_exceptions=True) is None
    assert slot._data == {"a": 1}
