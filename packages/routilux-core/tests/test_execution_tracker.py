"""ExecutionTracker (spec §12)."""

from __future__ import annotations

from datetime import datetime

import pytest

from routilux import ExecutionTracker


def test_defaults() -> None:
    tracker = ExecutionTracker()
    assert tracker.flow_id == ""
    assert tracker.routine_executions == {}
    assert tracker.event_flow == []
    assert tracker.performance_metrics == {}
    assert ExecutionTracker("flow-7").flow_id == "flow-7"


def test_record_routine_start() -> None:
    tracker = ExecutionTracker("f")
    tracker.record_routine_start("r1", {"x": 1})
    tracker.record_routine_start("r2")
    (rec,) = tracker.routine_executions["r1"]
    assert rec["routine_id"] == "r1"
    assert rec["params"] == {"x": 1}
    assert rec["status"] == "running"
    assert isinstance(datetime.fromisoformat(rec["start_time"]), datetime)
    assert "end_time" not in rec and "execution_time" not in rec
    assert tracker.routine_executions["r2"][0]["params"] == {}


def test_record_routine_end_updates_last_record() -> None:
    tracker = ExecutionTracker()
    tracker.record_routine_start("r", {"n": 1})
    tracker.record_routine_start("r", {"n": 2})
    tracker.record_routine_end("r", "completed", result={"ok": True})
    first, last = tracker.routine_executions["r"]
    assert first["status"] == "running" and "end_time" not in first
    assert last["status"] == "completed"
    assert last["result"] == {"ok": True}
    assert "error" not in last
    start = datetime.fromisoformat(last["start_time"])
    end = datetime.fromisoformat(last["end_time"])
    assert end >= start
    assert last["execution_time"] > 0


def test_record_routine_end_defaults_and_error() -> None:
    tracker = ExecutionTracker()
    tracker.record_routine_start("a")
    tracker.record_routine_end("a")
    rec = tracker.routine_executions["a"][0]
    assert rec["status"] == "completed"
    assert "result" not in rec and "error" not in rec
    tracker.record_routine_start("b")
    tracker.record_routine_end("b", "failed", error="boom")
    rec = tracker.routine_executions["b"][0]
    assert rec["status"] == "failed"
    assert rec["error"] == "boom"
    assert "result" not in rec


def test_record_routine_end_keeps_falsy_non_none_result() -> None:
    tracker = ExecutionTracker()
    tracker.record_routine_start("a")
    tracker.record_routine_end("a", result=0, error="")
    rec = tracker.routine_executions["a"][0]
    assert rec["result"] == 0
    assert rec["error"] == ""


def test_execution_time_positive_back_to_back() -> None:
    tracker = ExecutionTracker()
    for _ in range(200):
        tracker.record_routine_start("fast")
        tracker.record_routine_end("fast")
    assert all(rec["execution_time"] > 0 for rec in tracker.routine_executions["fast"])


def test_record_routine_end_unknown_id_does_nothing() -> None:
    tracker = ExecutionTracker()
    tracker.record_routine_end("ghost", "completed", result=1)
    assert tracker.routine_executions == {}
    assert "ghost" not in tracker.routine_executions
    assert tracker.get_routine_performance("ghost") is None


def test_record_event() -> None:
    tracker = ExecutionTracker()
    tracker.record_event("src", "out", "dst", {"v": 1})
    tracker.record_event("src", "other")
    first, second = tracker.event_flow
    assert first["source_routine_id"] == "src"
    assert first["event_name"] == "out"
    assert first["target_routine_id"] == "dst"
    assert first["data"] == {"v": 1}
    datetime.fromisoformat(first["timestamp"])
    assert second["target_routine_id"] is None
    assert second["data"] == {}


def test_event_flow_keeps_order() -> None:
    tracker = ExecutionTracker()
    for i in range(20):
        tracker.record_event("s", f"e{i}")
    assert [e["event_name"] for e in tracker.event_flow] == [f"e{i}" for i in range(20)]


def test_routine_performance_three_completed_one_failed() -> None:
    tracker = ExecutionTracker()
    for status in ("completed", "completed", "failed", "completed"):
        tracker.record_routine_start("r")
        tracker.record_routine_end("r", status)
    perf = tracker.get_routine_performance("r")
    assert perf is not None
    assert set(perf) == {
        "total_executions", "completed", "failed", "success_rate",
        "avg_execution_time", "min_execution_time", "max_execution_time",
    }
    assert perf["total_executions"] == 4
    assert perf["completed"] == 3
    assert perf["failed"] == 1
    assert perf["success_rate"] == 0.75
    assert perf["avg_execution_time"] > 0
    assert perf["min_execution_time"] > 0
    assert perf["max_execution_time"] > 0
    times = [r["execution_time"] for r in tracker.routine_executions["r"]]
    assert perf["min_execution_time"] == min(times)
    assert perf["max_execution_time"] == max(times)
    assert perf["avg_execution_time"] == pytest.approx(sum(times) / 4)


def test_routine_performance_counts_only_timed_records_for_times() -> None:
    tracker = ExecutionTracker()
    tracker.record_routine_start("r")
    tracker.record_routine_end("r", "completed")
    tracker.record_routine_start("r")  # still running, no execution_time
    perf = tracker.get_routine_performance("r")
    timed = tracker.routine_executions["r"][0]["execution_time"]
    assert perf["total_executions"] == 2
    assert perf["completed"] == 1
    assert perf["failed"] == 0
    assert perf["success_rate"] == 0.5
    assert perf["avg_execution_time"] == pytest.approx(timed)
    assert perf["min_execution_time"] == perf["max_execution_time"] == timed


def test_routine_performance_no_timed_records_gives_zero_times() -> None:
    tracker = ExecutionTracker()
    tracker.record_routine_start("r")
    perf = tracker.get_routine_performance("r")
    assert perf["total_executions"] == 1
    assert perf["success_rate"] == 0
    assert perf["avg_execution_time"] == 0
    assert perf["min_execution_time"] == 0
    assert perf["max_execution_time"] == 0


def test_routine_performance_unknown_is_none() -> None:
    assert ExecutionTracker().get_routine_performance("nope") is None


def test_flow_performance_empty_is_zeros() -> None:
    assert ExecutionTracker().get_flow_performance() == {
        "total_routines": 0,
        "total_events": 0,
        "total_execution_time": 0,
        "avg_routine_time": 0,
    }


def test_flow_performance_formula() -> None:
    tracker = ExecutionTracker()
    for rid in ("a", "b"):
        for _ in range(2):
            tracker.record_routine_start(rid)
            tracker.record_routine_end(rid)
    tracker.record_routine_start("untimed")
    tracker.record_event("a", "out", "b")
    tracker.record_event("b", "out")
    tracker.record_event("b", "out")
    perf = tracker.get_flow_performance()
    avg_a = tracker.get_routine_performance("a")["avg_execution_time"]
    avg_b = tracker.get_routine_performance("b")["avg_execution_time"]
    assert perf["total_routines"] == 3
    assert perf["total_events"] == 3
    assert perf["total_execution_time"] == pytest.approx(avg_a + avg_b)
    # the untimed routine's zero average is excluded from the mean
    assert perf["avg_routine_time"] == pytest.approx((avg_a + avg_b) / 2)


def test_performance_metrics_stays_empty() -> None:
    tracker = ExecutionTracker()
    tracker.record_routine_start("r")
    tracker.record_routine_end("r")
    tracker.record_event("r", "e")
    tracker.get_routine_performance("r")
    tracker.get_flow_performance()
    assert tracker.performance_metrics == {}
