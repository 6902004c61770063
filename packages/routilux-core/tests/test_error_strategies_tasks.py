"""Handler failures of non-entry routines (spec §3.4, §7.4, §7.5, §10).

Our engine honours the flow-level handler when a routine has none, a routine-level handler
beats the flow-level one, and without any handler the failure is recorded and the job completes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from routilux import ErrorHandler, ErrorStrategy, Flow, JobState, Routine
from routilux.routine import _current_job_state

WAIT = 10.0

pytestmark = pytest.mark.usefixtures("fixtures_on_path")  # conftest.py: engine_fixtures imports


class Worker(Routine):
    """Calls ``behaviour(call_number, value)``; emits ``out`` when it returns."""

    def __init__(self, behaviour: Callable[[int, Any], None]) -> None:
        super().__init__()
        self.behaviour = behaviour
        self.calls: list[Any] = []
        self._lock = threading.Lock()
        self.define_slot("input", self._on_input)
        self.define_event("out", ["value"])

    def _on_input(self, value: Any) -> None:
        with self._lock:
            self.calls.append(value)
            call = len(self.calls)
        self.behaviour(call, value)
        self.emit("out", value=value)


class Sink(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[Any] = []
        self.define_slot("input", self._on_input)

    def _on_input(self, value: Any) -> None:
        self.seen.append(value)


def always(error: BaseException) -> Callable[[int, Any], None]:
    def behaviour(call: int, value: Any) -> None:
        raise error

    return behaviour


def fail_first(count: int) -> Callable[[int, Any], None]:
    def behaviour(call: int, value: Any) -> None:
        if call <= count:
            raise ConnectionError(f"attempt {call}")

    return behaviour


def _flow(
    worker: Worker, flow_handler: ErrorHandler | None = None, **flow_kwargs: Any
) -> tuple[Flow, Sink]:
    from engine_fixtures.routines import ValueSource, linear_flow

    sink = Sink()
    flow = linear_flow(ValueSource(), ("worker", worker, "input"), ("sink", sink, "input"), **flow_kwargs)
    if flow_handler is not None:
        flow.set_error_handler(flow_handler)
    return flow, sink


def _run(flow: Flow, **params: Any) -> JobState:
    job = flow.execute("src", entry_params=params)
    assert JobState.wait_for_completion(flow, job, timeout=WAIT), f"{job!r} did not finish"
    return job


def _errors(job: JobState) -> list[dict[str, Any]]:
    return [r.data for r in job.get_execution_history("worker") if r.event_name == "error"]


def _run_retrying(
    behaviour: Callable[[int, Any], None], value: Any, max_retries: int, retry_delay: float = 0,
    critical: bool = False,
) -> tuple[Worker, Sink, JobState]:
    """One job through a worker with its own retry handler (``set_as_critical`` when ``critical``)."""
    worker = Worker(behaviour)
    if critical:
        worker.set_as_critical(max_retries=max_retries, retry_delay=retry_delay)
    else:
        worker.set_error_handler(
            ErrorHandler(strategy="retry", max_retries=max_retries, retry_delay=retry_delay)
        )
    flow, sink = _flow(worker)
    return worker, sink, _run(flow, value=value)


# -- tolerated failures ----------------------------------------------------------------------------


def test_no_handler_at_all_records_error_and_job_completes() -> None:
    worker = Worker(always(RuntimeError("oops")))
    flow, sink = _flow(worker)
    job = _run(flow, value=1)
    assert job.status == "completed"
    assert job.get_routine_state("worker") is None
    assert _errors(job) == [{"slot": "input", "error": "oops", "error_type": "RuntimeError"}]
    assert sink.seen == []


@pytest.mark.parametrize("strategy", [ErrorStrategy.CONTINUE, ErrorStrategy.SKIP])
def test_routine_level_continue_and_skip_complete(strategy: ErrorStrategy) -> None:
    worker = Worker(always(RuntimeError("tolerated")))
    worker.set_error_handler(ErrorHandler(strategy=strategy))
    flow, _ = _flow(worker)
    job = _run(flow, value=1)
    assert job.status == "completed"
    assert job.get_routine_state("worker") is None
    assert _errors(job) == [{"slot": "input", "error": "tolerated", "error_type": "RuntimeError"}]


def test_set_as_optional_tolerates_failures() -> None:
    worker = Worker(always(RuntimeError("optional")))
    worker.set_as_optional()
    flow, _ = _flow(worker)
    job = _run(flow, values=[1, 2])
    assert job.status == "completed"
    assert worker.calls == [1, 2]
    assert len(_errors(job)) == 2


# -- failing the job ------------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["routine", "flow"])
def test_stop_fails_routine_and_job(where: str) -> None:
    worker = Worker(always(RuntimeError("fatal")))
    handler = ErrorHandler(strategy="stop")
    if where == "routine":
        worker.set_error_handler(handler)
    flow, sink = _flow(worker, flow_handler=handler if where == "flow" else None)
    job = _run(flow, value=1)
    assert job.status == "failed"
    assert job.get_routine_state("worker") == {"status": "failed", "error": "fatal"}
    assert _errors(job) == [{"slot": "input", "error": "fatal", "error_type": "RuntimeError"}]
    assert sink.seen == []


@pytest.mark.parametrize(
    "routine_strategy, flow_strategy, error, status, state",
    [
        pytest.param("continue", "stop", "local rule", "completed", None,
                     id="routine_level_continue_beats_flow_level_stop"),
        pytest.param("stop", "continue", "strict", "failed", {"status": "failed", "error": "strict"},
                     id="routine_level_stop_beats_flow_level_continue"),
    ],
)
def test_routine_level_handler_beats_flow_level(
    routine_strategy: str, flow_strategy: str, error: str, status: str, state: dict[str, Any] | None
) -> None:
    worker = Worker(always(RuntimeError(error)))
    worker.set_error_handler(ErrorHandler(strategy=routine_strategy))
    flow, _ = _flow(worker, flow_handler=ErrorHandler(strategy=flow_strategy))
    job = _run(flow, value=1)
    assert job.status == status
    assert job.get_routine_state("worker") == state


def test_stop_in_one_job_leaves_other_jobs_alone() -> None:
    def behaviour(call: int, value: Any) -> None:
        if value == "bad":
            raise RuntimeError("bad value")

    worker = Worker(behaviour)
    worker.set_error_handler(ErrorHandler(strategy="stop"))
    flow, sink = _flow(worker, execution_strategy="concurrent", max_workers=4)
    bad = flow.execute("src", entry_params={"value": "bad"})
    good = flow.execute("src", entry_params={"value": "good"})
    for job in (bad, good):
        assert JobState.wait_for_completion(flow, job, timeout=WAIT)
    assert (bad.status, good.status) == ("failed", "completed")
    assert good.get_routine_state("worker") is None
    assert sink.seen == ["good"]
    flow.shutdown()


def test_failing_merge_is_a_task_failure_that_fails_the_job() -> None:
    def broken_merge(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
        raise ValueError("merge exploded")

    worker = Worker(lambda call, value: None)
    worker.get_slot("input").merge_strategy = broken_merge
    flow, sink = _flow(worker)
    job = _run(flow, value=1)
    assert job.status == "failed"
    assert job.get_routine_state("worker") == {"status": "failed", "error": "merge exploded"}
    assert worker.calls == [] and sink.seen == []


# -- RETRY on worker threads ---------------------------------------------------------------------------


def test_retry_exhausted_fails_after_max_retries_plus_one_calls() -> None:
    worker, sink, job = _run_retrying(always(ConnectionError("unreachable")), 1, 2, critical=True)
    assert job.status == "failed"
    assert len(worker.calls) == 3
    assert worker.get_error_handler().retry_count == 2
    assert job.get_routine_state("worker") == {"status": "failed", "error": "unreachable"}
    # One record per failure plus one at exhaustion.
    assert len(_errors(job)) == 4
    assert sink.seen == []


def test_retry_non_critical_exhausted_also_fails() -> None:
    worker, _, job = _run_retrying(always(ConnectionError("unreachable")), 1, 1)
    assert job.status == "failed"
    assert len(worker.calls) == 2


def test_flow_level_retry_is_honoured_for_routines_without_handler() -> None:
    worker = Worker(fail_first(2))
    handler = ErrorHandler(strategy="retry", max_retries=3, retry_delay=0)
    flow, sink = _flow(worker, flow_handler=handler)
    job = _run(flow, value="x")
    assert job.status == "completed"
    assert len(worker.calls) == 3
    assert handler.retry_count == 2
    assert sink.seen == ["x"]


def test_a_later_job_gets_its_retries_from_an_exhausted_handler() -> None:
    """Retries are counted per activation: a shared handler spent by one job still retries the next."""
    worker = Worker(fail_first(3))
    handler = ErrorHandler(strategy="retry", max_retries=1, retry_delay=0)
    worker.set_error_handler(handler)
    flow, sink = _flow(worker)
    first = _run(flow, value="a")  # calls 1 and 2 fail: exhausted
    assert first.status == "failed"
    assert handler.retry_count == 1
    second = _run(flow, value="b")  # call 3 fails, its retry (call 4) succeeds
    assert second.status == "completed"
    assert worker.calls == ["a", "a", "b", "b"]
    assert handler.retry_count == 1
    assert sink.seen == ["b"]


def test_activations_sharing_a_retry_handler_each_get_their_retries() -> None:
    failures: dict[Any, int] = {}
    lock = threading.Lock()

    def first_two_fail_per_value(call: int, value: Any) -> None:
        with lock:
            failures[value] = failures.get(value, 0) + 1
            count = failures[value]
        if count <= 2:
            raise ConnectionError(f"{value} attempt {count}")

    worker = Worker(first_two_fail_per_value)
    worker.set_error_handler(ErrorHandler(strategy="retry", max_retries=2, retry_delay=0))
    flow, sink = _flow(worker, execution_strategy="concurrent", max_workers=4)
    job = _run(flow, values=["x", "y", "z"])
    assert job.status == "completed"
    assert sorted(sink.seen) == ["x", "y", "z"]
    assert failures == {"x": 3, "y": 3, "z": 3}


def test_retry_later_success_completes_with_one_error_per_failure() -> None:
    worker, sink, job = _run_retrying(fail_first(1), "payload", 3)
    assert job.status == "completed"
    assert worker.calls == ["payload", "payload"]  # the retry gets the same data
    assert job.get_routine_state("worker") is None
    assert _errors(job) == [{"slot": "input", "error": "attempt 1", "error_type": "ConnectionError"}]
    assert sink.seen == ["payload"]


def test_delayed_retry_keeps_the_job_open_until_it_ran() -> None:
    worker, sink, job = _run_retrying(fail_first(1), "late", 2, retry_delay=0.02)
    # The job cannot be final while its retry is still scheduled.
    assert job.status == "completed"
    assert len(worker.calls) == 2
    assert sink.seen == ["late"]


def test_retry_runs_under_the_same_job() -> None:
    jobs: list[Any] = []

    def behaviour(call: int, value: Any) -> None:
        jobs.append(_current_job_state.get(None))
        if call == 1:
            raise ConnectionError("once")

    _, _, job = _run_retrying(behaviour, 1, 1)
    assert jobs == [job, job]


def test_direct_receive_with_job_reports_the_failure() -> None:
    worker = Worker(always(RuntimeError("direct")))
    worker.set_error_handler(ErrorHandler(strategy="stop"))
    flow, _ = _flow(worker)
    job = JobState(flow.flow_id)
    job.status = "running"
    worker.get_slot("input").receive({"value": 1}, job_state=job, flow=flow)  # never raises
    assert job.get_routine_state("worker") == {"status": "failed", "error": "direct"}
    assert _errors(job) == [{"slot": "input", "error": "direct", "error_type": "RuntimeError"}]


# -- ErrorHandler.handle_error itself (§10.2) -------------------------------------------------------------


def test_handle_error_per_strategy() -> None:
    routine, flow = Routine(), Flow()
    job = JobState(flow.flow_id)
    error = RuntimeError("e")
    assert ErrorHandler("stop").handle_error(error, routine, "r", flow, job_state=job) is False
    assert ErrorHandler("continue").handle_error(error, routine, "r", flow, job_state=job) is True
    assert [(r.event_name, r.data) for r in job.get_execution_history("r")] == [
        ("error_continued", {"error": "e", "error_type": "RuntimeError"})
    ]
    assert ErrorHandler("skip").handle_error(error, routine, "r", flow, job_state=job) is True
    assert job.get_routine_state("r") == {"status": "skipped", "error": "e"}


def test_handle_error_retry_counting() -> None:
    routine, flow = Routine(), Flow()
    handler = ErrorHandler("retry", max_retries=2, retry_delay=0, retryable_exceptions=(ConnectionError,))
    assert handler.handle_error(ValueError("no"), routine, "r", flow) is False
    assert handler.retry_count == 0
    assert handler.handle_error(ConnectionError("1"), routine, "r", flow) is True
    assert handler.handle_error(ConnectionError("2"), routine, "r", flow) is True
    assert handler.retry_count == 2
    assert handler.handle_error(ConnectionError("3"), routine, "r", flow) is True  # exhausted, not critical
    assert handler.retry_count == 2
    handler.is_critical = True
    assert handler.handle_error(ConnectionError("4"), routine, "r", flow) is False
    handler.reset()
    assert handler.retry_count == 0


def test_error_handler_construction() -> None:
    assert ErrorHandler("stop").strategy is ErrorStrategy.STOP
    assert ErrorHandler(ErrorStrategy.RETRY).strategy is ErrorStrategy.RETRY
    handler = ErrorHandler()
    assert (handler.max_retries, handler.retry_delay, handler.retry_backoff) == (3, 1.0, 2.0)
    assert handler.retryable_exceptions == (Exception,) and handler.retry_count == 0
    assert ErrorHandler(retryable_exceptions=(KeyError,)).retryable_exceptions == (KeyError,)
    with pytest.raises(ValueError):
        ErrorHandler("explode")
