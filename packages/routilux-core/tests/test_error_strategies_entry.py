"""Entry-routine failures are settled inside ``execute`` and never raise (spec §7.2, §10.2, §20 2 and 9)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from routilux import ErrorHandler, ErrorStrategy, Flow, JobState, Routine
from routilux.routine import _current_job_state

WAIT = 10.0


class Entry(Routine):
    """Its trigger runs ``behaviour(call_number)``; emits ``out`` when that returns."""

    def __init__(self, behaviour: Callable[[int], None]) -> None:
        super().__init__()
        self.behaviour = behaviour
        self.calls: list[float] = []
        self.define_slot("trigger", self._on_trigger)
        self.define_event("out", ["value"])

    def _on_trigger(self, **params: Any) -> None:
        self.calls.append(time.perf_counter())
        self.behaviour(len(self.calls))
        self.emit("out", value=params.get("value"))


class Sink(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[Any] = []
        self.jobs: list[Any] = []
        self._lock = threading.Lock()
        self.define_slot("input", self._on_input)

    def _on_input(self, value: Any) -> None:
        with self._lock:
            self.seen.append(value)
            self.jobs.append(_current_job_state.get(None))


def always(error: BaseException) -> Callable[[int], None]:
    def behaviour(call: int) -> None:
        raise error

    return behaviour


def fail_first(count: int, error: BaseException) -> Callable[[int], None]:
    def behaviour(call: int) -> None:
        if call <= count:
            raise error

    return behaviour


def sequence(*errors: BaseException | None) -> Callable[[int], None]:
    def behaviour(call: int) -> None:
        error = errors[call - 1] if call <= len(errors) else None
        if error is not None:
            raise error

    return behaviour


def _flow(entry: Entry, routine_handler: ErrorHandler | None = None,
          flow_handler: ErrorHandler | None = None) -> tuple[Flow, Sink]:
    flow = Flow()
    sink = Sink()
    flow.add_routine(entry, "entry")
    flow.add_routine(sink, "sink")
    flow.connect("entry", "out", "sink", "input")
    if routine_handler is not None:
        entry.set_error_handler(routine_handler)
    if flow_handler is not None:
        flow.set_error_handler(flow_handler)
    return flow, sink


def _execute(flow: Flow, **params: Any) -> JobState:
    job = flow.execute("entry", entry_params=params)  # never raises for entry failures
    assert JobState.wait_for_completion(flow, job, timeout=WAIT)
    return job


def _events(job: JobState, routine_id: str = "entry") -> list[str]:
    return [r.event_name for r in job.get_execution_history(routine_id)]


def _assert_failed(job: JobState, message: str, error_type: str) -> None:
    assert job.status == "failed"
    state = job.get_routine_state("entry")
    assert state is not None
    assert state["status"] == "failed" and state["error"] == message
    datetime.fromisoformat(state["error_time"])
    errors = [r for r in job.get_execution_history("entry") if r.event_name == "error"]
    assert errors and errors[-1].data == {"error": message, "error_type": error_type}


# -- STOP and no handler --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("routine_handler", "flow_handler"),
    [
        (None, None),
        (ErrorHandler(strategy=ErrorStrategy.STOP), None),
        (None, ErrorHandler(strategy="stop")),
        (ErrorHandler(strategy="stop"), ErrorHandler(strategy="continue")),  # routine level wins
    ],
    ids=["no-handler", "routine-stop", "flow-stop", "routine-beats-flow"],
)
def test_stop_or_no_handler_fails_the_job(routine_handler: Any, flow_handler: Any) -> None:
    entry = Entry(always(RuntimeError("entry broke")))
    flow, sink = _flow(entry, routine_handler, flow_handler)
    job = _execute(flow, value=1)
    _assert_failed(job, "entry broke", "RuntimeError")
    assert len(entry.calls) == 1
    assert _events(job) == ["start", "error"]
    assert sink.seen == []
    tracker = flow.execution_tracker
    assert tracker is not None
    record = tracker.routine_executions["entry"][-1]
    assert record["status"] == "failed" and record["error"] == "entry broke"
    assert record["execution_time"] > 0


def test_missing_trigger_slot_is_an_entry_failure() -> None:
    flow = Flow()
    flow.add_routine(Sink(), "entry")
    job = flow.execute("entry", entry_params={"value": 1})
    assert JobState.wait_for_completion(flow, job, timeout=WAIT)
    assert job.status == "failed"
    state = job.get_routine_state("entry")
    assert state is not None and state["status"] == "failed" and "trigger" in state["error"]


# -- CONTINUE and SKIP --------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["routine", "flow"])
def test_continue_completes_with_error_continued(where: str) -> None:
    entry = Entry(always(KeyError("missing")))
    handler = ErrorHandler(strategy="continue")
    flow, _ = _flow(entry, handler if where == "routine" else None, handler if where == "flow" else None)
    job = _execute(flow)
    assert job.status == "completed"
    assert job.get_routine_state("entry") == {"status": "error_continued", "error": str(KeyError("missing"))}
    continued = [r for r in job.get_execution_history("entry") if r.event_name == "error_continued"]
    assert [r.data for r in continued] == [{"error": str(KeyError("missing")), "error_type": "KeyError"}]
    assert len(entry.calls) == 1


def test_skip_completes_with_skipped_state() -> None:
    entry = Entry(always(ValueError("skip me")))
    flow, sink = _flow(entry, ErrorHandler(strategy=ErrorStrategy.SKIP))
    job = _execute(flow)
    assert job.status == "completed"
    assert job.get_routine_state("entry") == {"status": "skipped", "error": "skip me"}
    assert "error" not in _events(job)
    assert sink.seen == []


# -- RETRY arithmetic ---------------------------------------------------------------------------------


def test_retry_always_failing_runs_max_retries_plus_one_times() -> None:
    entry = Entry(always(ConnectionError("down")))
    handler = ErrorHandler(strategy="retry", max_retries=2, retry_delay=0)
    flow, sink = _flow(entry, handler)
    job = _execute(flow)
    assert len(entry.calls) == 3
    assert handler.retry_count == 2
    _assert_failed(job, "down", "ConnectionError")
    assert sink.seen == []


def test_retry_exhausted_critical_is_failed_too() -> None:
    entry = Entry(always(RuntimeError("always")))
    entry.set_as_critical(max_retries=1, retry_delay=0)
    flow, _ = _flow(entry)
    job = _execute(flow)
    assert len(entry.calls) == 2
    assert entry.get_error_handler().retry_count == 1
    _assert_failed(job, "always", "RuntimeError")


def test_retry_success_on_second_call() -> None:
    entry = Entry(fail_first(1, TimeoutError("slow")))
    handler = ErrorHandler(strategy="retry", max_retries=3, retry_delay=0)
    flow, sink = _flow(entry, handler)
    job = _execute(flow, value="v")
    assert len(entry.calls) == 2
    assert handler.retry_count == 1
    assert flow.get_routine_retry_count("entry") == 1
    assert job.status == "completed"
    state = job.get_routine_state("entry")
    assert state is not None
    assert state["status"] == "completed" and state["retry_count"] == 1
    assert state["execution_time"] >= 0
    completed = [r for r in job.get_execution_history("entry") if r.event_name == "completed"]
    assert len(completed) == 1 and completed[0].data["retried"] is True
    # Emits of the retried trigger belong to the job (the ContextVar is set during retries).
    assert sink.seen == ["v"] and sink.jobs == [job]


@pytest.mark.parametrize(
    "behaviour, max_retries, calls, retries, message",
    [
        pytest.param(always(ValueError("not transient")), 3, 1, 0, "not transient",
                     id="non_retryable_error_stops_at_once"),
        pytest.param(sequence(ConnectionError("blip"), ValueError("real problem")), 5, 2, 1, "real problem",
                     id="retryable_then_non_retryable"),
    ],
)
def test_retry_stops_at_the_first_non_retryable_error(
    behaviour: Callable[[int], None], max_retries: int, calls: int, retries: int, message: str
) -> None:
    entry = Entry(behaviour)
    handler = ErrorHandler(
        strategy="retry", max_retries=max_retries, retry_delay=0, retryable_exceptions=(ConnectionError,)
    )
    flow, _ = _flow(entry, handler)
    job = _execute(flow)
    assert len(entry.calls) == calls
    assert handler.retry_count == retries
    _assert_failed(job, message, "ValueError")


def test_retry_backoff_gaps_are_at_least_the_computed_delays() -> None:
    entry = Entry(always(ConnectionError("down")))
    handler = ErrorHandler(strategy="retry", max_retries=2, retry_delay=0.05, retry_backoff=2.0)
    flow, _ = _flow(entry, handler)
    job = _execute(flow)
    assert len(entry.calls) == 3
    first_gap = entry.calls[1] - entry.calls[0]
    second_gap = entry.calls[2] - entry.calls[1]
    # Only lower bounds: delay * backoff ** (n - 1) is the minimum wait before the n-th retry.
    assert first_gap >= 0.05
    assert second_gap >= 0.1
    assert job.status == "failed"


def test_entry_failure_does_not_affect_next_job() -> None:
    entry = Entry(fail_first(1, RuntimeError("first only")))
    flow, sink = _flow(entry)
    first = _execute(flow, value=1)
    second = _execute(flow, value=2)
    assert (first.status, second.status) == ("failed", "completed")
    assert second.get_routine_state("entry") == {"status": "completed"}
    assert sink.seen == [2] and sink.jobs == [second]
