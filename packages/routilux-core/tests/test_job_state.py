"""JobState and ExecutionRecord (spec §11.1–11.4) plus the emit-history cap."""

from __future__ import annotations

import time
import warnings
from datetime import datetime, timedelta
from typing import Any

import pytest

from routilux import Flow, JobState, Routine
from routilux.job_state import ExecutionRecord

# -- §11.1 ExecutionRecord ------------------------------------------------------------------------


def test_execution_record_defaults() -> None:
    before = datetime.now()
    rec = ExecutionRecord()
    after = datetime.now()
    assert rec.routine_id == ""
    assert rec.event_name == ""
    assert rec.data == {}
    assert isinstance(rec.timestamp, datetime)
    assert before <= rec.timestamp <= after


def test_execution_record_values_and_no_copy() -> None:
    data = {"k": 1}
    ts = datetime(2024, 1, 2, 3, 4, 5)
    rec = ExecutionRecord("r1", "out", data, ts)
    assert (rec.routine_id, rec.event_name, rec.timestamp) == ("r1", "out", ts)
    assert rec.data is data


def test_execution_record_repr() -> None:
    ts = datetime(2024, 1, 2, 3, 4, 5)
    assert repr(ExecutionRecord("r1", "out", None, ts)) == f"ExecutionRecord[r1.out@{ts}]"


# -- §11.2 fields ---------------------------------------------------------------------------------


def test_job_state_defaults() -> None:
    before = datetime.now()
    job = JobState("flow-1")
    assert job.flow_id == "flow-1"
    assert isinstance(job.job_id, str) and job.job_id
    assert job.status == "pending"
    assert job.current_routine_id is None
    assert job.routine_states == {}
    assert job.execution_history == []
    assert isinstance(job.created_at, datetime) and job.created_at >= before
    assert isinstance(job.updated_at, datetime)
    assert job.pause_points == []
    assert job.pending_tasks == []
    assert job.deferred_events == []
    assert job.shared_data == {}
    assert job.shared_log == []
    assert job.output_log == []
    assert job.output_handler is None


def test_default_flow_id_is_empty_string() -> None:
    assert JobState().flow_id == ""


def test_job_ids_are_unique() -> None:
    ids = {JobState().job_id for _ in range(500)}
    assert len(ids) == 500


def test_fresh_job_states_share_no_containers() -> None:
    a, b = JobState(), JobState()
    a.routine_states["x"] = {}
    a.shared_data["k"] = 1
    a.shared_log.append({})
    a.pause_points.append({})
    a.record_execution("r", "e", {})
    assert b.routine_states == {} and b.shared_data == {} and b.shared_log == []
    assert b.pause_points == [] and b.get_execution_history() == []


def test_status_accepts_any_string() -> None:
    job = JobState()
    job.status = "my-custom-status"
    assert job.status == "my-custom-status"


def test_repr() -> None:
    job = JobState()
    job.status = "running"
    assert repr(job) == f"JobState[{job.job_id}:running]"


def test_identity_equality() -> None:
    a, b = JobState("f"), JobState("f")
    assert a != b and len({a, b}) == 2


# -- §11.3 methods --------------------------------------------------------------------------------


def test_update_routine_state_replaces_with_copy() -> None:
    job = JobState()
    state: dict[str, Any] = {"status": "running", "progress": 1}
    job.update_routine_state("r1", state)
    stored = job.get_routine_state("r1")
    assert stored == {"status": "running", "progress": 1}
    assert stored is not state
    state["progress"] = 99
    assert job.get_routine_state("r1")["progress"] == 1
    job.update_routine_state("r1", {"status": "completed"})
    assert job.get_routine_state("r1") == {"status": "completed"}  # replaced, not merged
    assert job.routine_states == {"r1": {"status": "completed"}}


def test_get_routine_state_missing_is_none() -> None:
    assert JobState().get_routine_state("nope") is None


def test_mutators_refresh_updated_at() -> None:
    job = JobState()
    old = datetime(2000, 1, 1)
    for mutate in (
        lambda: job.update_routine_state("r", {}),
        lambda: job.record_execution("r", "e", {}),
        lambda: job.update_shared_data("k", 1),
        lambda: job.append_to_shared_log({"a": 1}),
        lambda: job.add_deferred_event("r", "e", {}),
        lambda: job.send_output("r", "t", {}),
    ):
        job.updated_at = old
        mutate()
        assert job.updated_at > old


def test_record_execution_appends_record() -> None:
    job = JobState()
    before = datetime.now()
    job.record_execution("r1", "done", {"x": 1})
    (rec,) = job.execution_history
    assert isinstance(rec, ExecutionRecord)
    assert (rec.routine_id, rec.event_name, rec.data) == ("r1", "done", {"x": 1})
    assert rec.timestamp >= before


def test_record_execution_none_data_becomes_empty_dict() -> None:
    job = JobState()
    job.record_execution("r1", "done", None)
    assert job.get_execution_history()[0].data == {}


def test_get_execution_history_sorted_and_filtered() -> None:
    job = JobState()
    base = datetime(2024, 1, 1)
    job.execution_history = [
        ExecutionRecord("b", "e3", {}, base + timedelta(seconds=3)),
        ExecutionRecord("a", "e1", {}, base + timedelta(seconds=1)),
        ExecutionRecord("a", "e2", {}, base + timedelta(seconds=2)),
    ]
    assert [r.event_name for r in job.get_execution_history()] == ["e1", "e2", "e3"]
    assert [r.event_name for r in job.get_execution_history("a")] == ["e1", "e2"]
    assert [r.event_name for r in job.get_execution_history(routine_id="b")] == ["e3"]
    assert job.get_execution_history("unknown") == []


def test_get_execution_history_returns_new_list() -> None:
    job = JobState()
    job.record_execution("r", "e", {})
    history = job.get_execution_history()
    history.clear()
    assert len(job.get_execution_history()) == 1


def test_many_records_keep_order() -> None:
    job = JobState()
    for i in range(50):
        job.record_execution("r", f"e{i}", {"i": i})
    assert [r.data["i"] for r in job.get_execution_history()] == list(range(50))


def test_add_deferred_event() -> None:
    job = JobState()
    job.add_deferred_event("r1", "later", {"x": 1})
    (entry,) = job.deferred_events
    assert entry["routine_id"] == "r1"
    assert entry["event_name"] == "later"
    assert entry["data"] == {"x": 1}
    datetime.fromisoformat(entry["timestamp"])


def test_shared_data() -> None:
    job = JobState()
    assert job.get_shared_data("k") is None
    assert job.get_shared_data("k", "dflt") == "dflt"
    job.update_shared_data("k", [1])
    job.update_shared_data("k2", 0)
    assert job.get_shared_data("k") == [1]
    assert job.get_shared_data("k2", "dflt") == 0
    assert job.shared_data == {"k": [1], "k2": 0}


@pytest.mark.parametrize("bad", ["text", 1, None, ["a"], ("k", "v")])
def test_append_to_shared_log_rejects_non_dict(bad: Any) -> None:
    job = JobState()
    with pytest.raises(ValueError, match="Entry must be a dictionary"):
        job.append_to_shared_log(bad)
    assert job.shared_log == []


def test_append_to_shared_log_adds_timestamp_to_a_copy() -> None:
    job = JobState()
    entry = {"msg": "hi"}
    job.append_to_shared_log(entry)
    assert entry == {"msg": "hi"}  # caller's dict untouched
    (stored,) = job.shared_log
    assert stored["msg"] == "hi"
    datetime.fromisoformat(stored["timestamp"])


def test_append_to_shared_log_keeps_given_timestamp() -> None:
    job = JobState()
    job.append_to_shared_log({"msg": "hi", "timestamp": "given"})
    assert job.shared_log == [{"msg": "hi", "timestamp": "given"}]


def test_get_shared_log_copy_and_filter() -> None:
    job = JobState()
    for i in range(4):
        job.append_to_shared_log({"i": i, "timestamp": "t"})
    log = job.get_shared_log()
    assert [e["i"] for e in log] == [0, 1, 2, 3]
    log.clear()
    assert len(job.shared_log) == 4
    assert [e["i"] for e in job.get_shared_log(lambda e: e["i"] % 2 == 1)] == [1, 3]


def test_send_output_calls_handler_with_keywords() -> None:
    calls: list[dict[str, Any]] = []

    class KeywordOnly:
        def handle(
            self, *, job_id: str, routine_id: str, output_type: str, data: Any, timestamp: Any
        ) -> None:
            calls.append(
                {"job_id": job_id, "routine_id": routine_id, "output_type": output_type,
                 "data": data, "timestamp": timestamp}
            )

    job = JobState()
    job.set_output_handler(KeywordOnly())
    job.send_output("r1", "progress", {"pct": 50})
    (call,) = calls
    assert call["job_id"] == job.job_id
    assert call["routine_id"] == "r1"
    assert call["output_type"] == "progress"
    assert call["data"] == {"pct": 50}
    assert isinstance(call["timestamp"], datetime)
    (logged,) = job.output_log
    assert (logged["routine_id"], logged["output_type"], logged["data"]) == ("r1", "progress", {"pct": 50})
    datetime.fromisoformat(logged["timestamp"])


def test_set_output_handler_stores_handler() -> None:
    job = JobState()
    handler = object()
    job.set_output_handler(handler)
    assert job.output_handler is handler


def test_send_output_without_handler_still_logs() -> None:
    job = JobState()
    job.send_output("r", "t", {"a": 1})
    job.send_output("r", "t", {"a": 2})
    assert [e["data"] for e in job.output_log] == [{"a": 1}, {"a": 2}]


def test_send_output_handler_failure_becomes_warning() -> None:
    class Broken:
        def handle(self, **kwargs: Any) -> None:
            raise RuntimeError("sink down")

    job = JobState()
    job.set_output_handler(Broken())
    with pytest.warns(UserWarning, match="Output handler failed") as record:
        job.send_output("r", "t", {"a": 1})
    assert "sink down" in str(record[0].message)
    assert len(job.output_log) == 1


# -- status transitions / waiting ------------------------------------------------------------------


@pytest.mark.parametrize("status", ["completed", "failed", "cancelled", "paused"])
def test_wait_for_completion_returns_true_at_once_for_settled(status: str) -> None:
    flow = Flow()
    job = JobState(flow.flow_id)
    job.status = status
    start = time.monotonic()
    # With these intervals a polling waiter would need minutes; a settled job returns at once.
    assert JobState.wait_for_completion(
        flow, job, timeout=120, stability_checks=5, check_interval=30, stability_delay=30
    ) is True
    assert time.monotonic() - start < 10
    assert job.status == status


@pytest.mark.parametrize("status", ["completed", "failed", "cancelled", "paused"])
def test_wait_for_completion_keyword_call(status: str) -> None:
    flow = Flow()
    job = JobState(flow.flow_id)
    job.status = status
    assert JobState.wait_for_completion(flow=flow, job_state=job, timeout=30) is True


def test_wait_for_completion_pending_job_times_out() -> None:
    flow = Flow()
    job = JobState(flow.flow_id)
    assert JobState.wait_for_completion(flow, job, timeout=0.2) is False
    assert job.status == "pending"


def test_status_transition_helpers() -> None:
    job = JobState()
    job.status = "running"
    job.mark_running()  # only from paused
    assert job.status == "running"
    job.mark_paused("because", {"step": 2})
    assert job.status == "paused"
    assert job.pause_points[-1]["reason"] == "because"
    assert job.pause_points[-1]["checkpoint"] == {"step": 2}
    job.mark_running()
    assert job.status == "running"
    job.mark_cancelled("stop it")
    assert job.status == "cancelled"
    job.mark_running()
    assert job.status == "cancelled"


# -- emit-history cap ------------------------------------------------------------------------------


class _Emitter(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.define_event("out")


def _emit_n(flow: Flow, routine: Routine, job: JobState, start: int, count: int) -> None:
    for i in range(start, start + count):
        routine.emit("out", flow=flow, job_state=job, i=i)


def _emit_values(job: JobState) -> list[int]:
    return [r.data["i"] for r in job.get_execution_history() if r.event_name == "out"]


@pytest.fixture()
def emitter_flow() -> tuple:
    flow = Flow()
    routine = _Emitter()
    flow.add_routine(routine, "emitter")
    return flow, routine


def test_emit_records_appear_in_history(emitter_flow: tuple) -> None:
    flow, routine = emitter_flow
    job = JobState(flow.flow_id)
    _emit_n(flow, routine, job, 0, 3)
    history = job.get_execution_history()
    assert [(r.routine_id, r.event_name, r.data) for r in history] == [
        ("emitter", "out", {"i": 0}), ("emitter", "out", {"i": 1}), ("emitter", "out", {"i": 2}),
    ]
    assert all(isinstance(r, ExecutionRecord) and isinstance(r.timestamp, datetime) for r in history)


def test_history_limit_drops_oldest_emit_records(emitter_flow: tuple) -> None:
    flow, routine = emitter_flow
    job = JobState(flow.flow_id, history_limit=3)
    _emit_n(flow, routine, job, 0, 10)
    assert _emit_values(job) == [7, 8, 9]


def test_history_limit_never_drops_explicit_records(emitter_flow: tuple) -> None:
    flow, routine = emitter_flow
    job = JobState(flow.flow_id, history_limit=2)
    for i in range(5):
        job.record_execution("manual", "note", {"n": i})
    _emit_n(flow, routine, job, 0, 6)
    for i in range(5, 8):
        job.record_execution("manual", "note", {"n": i})
    notes = [r.data["n"] for r in job.get_execution_history("manual")]
    assert notes == list(range(8))
    assert _emit_values(job) == [4, 5]
    assert len(job.get_execution_history()) == 10


def test_history_limit_zero_disables_emit_records(emitter_flow: tuple) -> None:
    flow, routine = emitter_flow
    job = JobState(flow.flow_id, history_limit=0)
    _emit_n(flow, routine, job, 0, 5)
    job.record_execution("manual", "note", {})
    assert _emit_values(job) == []
    assert [r.event_name for r in job.get_execution_history()] == ["note"]


def test_history_limit_none_keeps_all(emitter_flow: tuple) -> None:
    flow, routine = emitter_flow
    job = JobState(flow.flow_id, history_limit=None)
    _emit_n(flow, routine, job, 0, 1500)
    assert _emit_values(job) == list(range(1500))


def test_set_history_limit_changes_cap(emitter_flow: tuple) -> None:
    flow, routine = emitter_flow
    job = JobState(flow.flow_id, history_limit=None)
    _emit_n(flow, routine, job, 0, 5)
    job.set_history_limit(2)
    assert _emit_values(job) == [3, 4]
    _emit_n(flow, routine, job, 5, 3)
    assert _emit_values(job) == [6, 7]
    job.set_history_limit(0)
    _emit_n(flow, routine, job, 8, 3)
    assert all(v < 8 for v in _emit_values(job))
    job.set_history_limit(10)
    _emit_n(flow, routine, job, 20, 2)
    assert _emit_values(job)[-2:] == [20, 21]


def test_history_cap_from_flow() -> None:
    flow = Flow(history_limit=2)
    routine = _Emitter()
    routine.define_slot("trigger", handler=lambda **kw: [routine.emit("out", i=i) for i in range(5)])
    flow.add_routine(routine, "emitter")
    job = flow.execute("emitter", {"x": 1})
    assert JobState.wait_for_completion(flow, job, timeout=10) is True
    assert _emit_values(job) == [3, 4]
    # the explicit "start" record of execute survives the cap
    assert "start" in [r.event_name for r in job.get_execution_history("emitter")]
    flow.shutdown(wait=False)


@pytest.mark.parametrize("bad", [-1, 1.5, "3"])
def test_invalid_history_limit_rejected(bad: Any) -> None:
    with pytest.raises((ValueError, TypeError)):
        JobState(history_limit=bad)


def test_default_history_limit_bounds_emit_records(emitter_flow: tuple) -> None:
    from routilux.job_state import DEFAULT_HISTORY_LIMIT

    flow, routine = emitter_flow
    job = JobState(flow.flow_id)
    _emit_n(flow, routine, job, 0, DEFAULT_HISTORY_LIMIT + 5)
    values = _emit_values(job)
    assert len(values) == DEFAULT_HISTORY_LIMIT
    assert values[0] == 5 and values[-1] == DEFAULT_HISTORY_LIMIT + 4


def test_no_warnings_on_plain_use() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        job = JobState("f")
        job.record_execution("r", "e", {})
        job.send_output("r", "t", {})
