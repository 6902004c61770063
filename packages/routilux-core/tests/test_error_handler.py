"""ErrorStrategy and ErrorHandler (spec §10.1, §10.2)."""

from __future__ import annotations

import pytest

from routilux import ErrorHandler, ErrorStrategy, JobState, Routine


def test_error_strategy_members() -> None:
    assert {s.name: s.value for s in ErrorStrategy} == {
        "STOP": "stop", "CONTINUE": "continue", "RETRY": "retry", "SKIP": "skip",
    }


def test_defaults() -> None:
    eh = ErrorHandler()
    assert eh.strategy is ErrorStrategy.STOP
    assert eh.max_retries == 3
    assert eh.retry_delay == 1.0
    assert eh.retry_backoff == 2.0
    assert eh.retryable_exceptions == (Exception,)
    assert eh.is_critical is False
    assert eh.retry_count == 0


@pytest.mark.parametrize("strategy", list(ErrorStrategy))
def test_strategy_from_string_and_enum(strategy: ErrorStrategy) -> None:
    assert ErrorHandler(strategy.value).strategy is strategy
    assert ErrorHandler(strategy).strategy is strategy
    assert ErrorHandler(strategy=strategy.value).strategy is strategy


def test_stop_string() -> None:
    assert ErrorHandler("stop").strategy == ErrorStrategy.STOP


@pytest.mark.parametrize("bad", ["explode", "STOP", ""])
def test_invalid_string_raises_value_error(bad: str) -> None:
    with pytest.raises(ValueError):
        ErrorHandler(bad)


def test_retryable_exceptions_stored_as_given() -> None:
    eh = ErrorHandler("retry", retryable_exceptions=(KeyError, TypeError))
    assert eh.retryable_exceptions == (KeyError, TypeError)


def test_constructor_values_stored() -> None:
    eh = ErrorHandler("retry", max_retries=7, retry_delay=0.25, retry_backoff=1.5, is_critical=True)
    assert (eh.max_retries, eh.retry_delay, eh.retry_backoff, eh.is_critical) == (7, 0.25, 1.5, True)


def test_retry_count_is_plain_attribute_and_reset() -> None:
    eh = ErrorHandler("retry")
    eh.retry_count = 5
    assert eh.retry_count == 5
    eh.reset()
    assert eh.retry_count == 0


# -- handle_error ---------------------------------------------------------------------------------


def _history(job: JobState) -> list:
    return [(r.routine_id, r.event_name, r.data) for r in job.get_execution_history()]


def test_stop_returns_false_and_records_nothing() -> None:
    job = JobState("f")
    eh = ErrorHandler("stop")
    assert eh.handle_error(ValueError("bad"), Routine(), "r1", None, job) is False
    assert _history(job) == []
    assert job.routine_states == {}
    assert eh.retry_count == 0


def test_continue_records_error_continued_and_returns_true() -> None:
    job = JobState("f")
    eh = ErrorHandler("continue")
    assert eh.handle_error(ValueError("bad value"), Routine(), "r1", None, job) is True
    (record,) = job.get_execution_history()
    assert record.routine_id == "r1"
    assert record.event_name == "error_continued"
    assert record.data["error"] == "bad value"
    error_type = record.data["error_type"]
    assert error_type in (ValueError, "ValueError")
    assert job.routine_states == {}


def test_continue_without_job_state_returns_true() -> None:
    assert ErrorHandler("continue").handle_error(ValueError("x"), None, "r", None) is True


def test_skip_writes_skipped_state_and_returns_true() -> None:
    job = JobState("f")
    eh = ErrorHandler("skip")
    assert eh.handle_error(RuntimeError("nope"), Routine(), "r1", None, job) is True
    assert job.get_routine_state("r1") == {"status": "skipped", "error": "nope"}
    assert _history(job) == []


def test_skip_without_job_state_returns_true() -> None:
    assert ErrorHandler("skip").handle_error(RuntimeError("x"), None, "r", None) is True


def test_retry_increments_and_returns_true() -> None:
    job = JobState("f")
    eh = ErrorHandler("retry", max_retries=2, retry_delay=0)
    assert eh.handle_error(ValueError("x"), Routine(), "r1", None, job) is True
    assert eh.retry_count == 1
    assert eh.handle_error(ValueError("x"), Routine(), "r1", None, job) is True
    assert eh.retry_count == 2
    assert job.routine_states == {}


@pytest.mark.parametrize(("critical", "expected"), [(False, True), (True, False)])
def test_retry_exhausted_returns_not_is_critical(critical: bool, expected: bool) -> None:
    eh = ErrorHandler("retry", max_retries=2, retry_delay=0, is_critical=critical)
    results = [eh.handle_error(ValueError("x"), None, "r", None) for _ in range(3)]
    assert results == [True, True, expected]
    assert eh.retry_count == 2
    # still exhausted, count does not grow
    assert eh.handle_error(ValueError("x"), None, "r", None) is expected
    assert eh.retry_count == 2


def test_retry_with_zero_max_retries_is_exhausted_at_once() -> None:
    eh = ErrorHandler("retry", max_retries=0, retry_delay=0, is_critical=True)
    assert eh.handle_error(ValueError("x"), None, "r", None) is False
    assert eh.retry_count == 0


def test_retry_non_retryable_returns_false_without_touching_count() -> None:
    eh = ErrorHandler("retry", max_retries=3, retry_delay=0, retryable_exceptions=(KeyError,))
    assert eh.handle_error(ValueError("not retryable"), None, "r", None) is False
    assert eh.retry_count == 0
    assert eh.handle_error(KeyError("retryable"), None, "r", None) is True
    assert eh.retry_count == 1
    assert eh.handle_error(TypeError("no"), None, "r", None) is False
    assert eh.retry_count == 1


def test_retryable_exception_subclasses_are_retried() -> None:
    eh = ErrorHandler("retry", retry_delay=0, retryable_exceptions=(LookupError,))
    assert eh.handle_error(KeyError("sub"), None, "r", None) is True
    assert eh.retry_count == 1


def test_retry_records_nothing_in_job() -> None:
    job = JobState("f")
    eh = ErrorHandler("retry", max_retries=1, retry_delay=0)
    eh.handle_error(ValueError("x"), None, "r", None, job)
    eh.handle_error(ValueError("x"), None, "r", None, job)
    assert job.routine_states == {}
    assert [r.event_name for r in job.get_execution_history()] == []


def test_reset_allows_new_retries() -> None:
    eh = ErrorHandler("retry", max_retries=1, retry_delay=0, is_critical=True)
    assert eh.handle_error(ValueError("x"), None, "r", None) is True
    assert eh.handle_error(ValueError("x"), None, "r", None) is False
    eh.reset()
    assert eh.retry_count == 0
    assert eh.handle_error(ValueError("x"), None, "r", None) is True
    assert eh.retry_count == 1


def test_retry_count_shared_by_every_caller() -> None:
    eh = ErrorHandler("retry", max_retries=3, retry_delay=0)
    r1, r2 = Routine(), Routine()
    r1.set_error_handler(eh)
    r2.set_error_handler(eh)
    eh.handle_error(ValueError("x"), r1, "a", None)
    eh.handle_error(ValueError("x"), r2, "b", None)
    assert r1.get_error_handler().retry_count == 2


@pytest.mark.parametrize("strategy", ["stop", "continue", "skip"])
def test_is_critical_has_no_effect_outside_retry(strategy: str) -> None:
    plain = ErrorHandler(strategy).handle_error(ValueError("x"), None, "r", None)
    critical = ErrorHandler(strategy, is_critical=True).handle_error(ValueError("x"), None, "r", None)
    assert plain is critical


def test_handle_error_accepts_context_keyword() -> None:
    job = JobState("f")
    assert (
        ErrorHandler("continue").handle_error(
            ValueError("x"), None, "r", None, job_state=job, context={"slot": "s"}
        )
        is True
    )


def test_retry_sleeps_with_exponential_backoff_in_calling_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading
    import time

    sleeps: list = []
    caller = threading.current_thread()

    def fake_sleep(seconds: float) -> None:
        sleeps.append((round(seconds, 6), threading.current_thread() is caller))

    monkeypatch.setattr(time, "sleep", fake_sleep)
    eh = ErrorHandler("retry", max_retries=2, retry_delay=0.2, retry_backoff=2.0)
    assert eh.handle_error(ValueError("x"), None, "r", None) is True
    assert eh.handle_error(ValueError("x"), None, "r", None) is True
    assert eh.handle_error(ValueError("x"), None, "r", None) is True  # exhausted, not critical
    assert sleeps[:2] == [(0.2, True), (0.4, True)]
    assert all(seconds == 0 for seconds, _ in sleeps[2:])
