"""Core's built-in error strategies, registered through the error-strategy hook."""

from __future__ import annotations

from typing import List

from routilux.error_handler import ErrorAction, ErrorContext, ErrorDecision, ErrorHandler
from routilux.plugins.hookspecs import hookimpl
from routilux.plugins.specs import ErrorStrategySpec

_STOP = ErrorDecision(action=ErrorAction.STOP, proceed=False)


def decide_stop(handler: ErrorHandler, error: BaseException, context: ErrorContext) -> ErrorDecision:
    """The routine fails and so does the job."""
    return _STOP


def decide_continue(handler: ErrorHandler, error: BaseException, context: ErrorContext) -> ErrorDecision:
    """The error is recorded and the job goes on."""
    return ErrorDecision(action=ErrorAction.CONTINUE, proceed=True)


def decide_skip(handler: ErrorHandler, error: BaseException, context: ErrorContext) -> ErrorDecision:
    """The routine is marked skipped and the job goes on."""
    return ErrorDecision(action=ErrorAction.SKIP, proceed=True)


def decide_retry(handler: ErrorHandler, error: BaseException, context: ErrorContext) -> ErrorDecision:
    """Retry retryable errors up to ``max_retries`` times with exponential backoff.

    The n-th retry waits ``retry_delay * retry_backoff ** (n - 1)`` seconds.
    A non-retryable error fails at once without touching ``retry_count``.
    """
    if not isinstance(error, handler.retryable_exceptions):
        return _STOP
    if handler.retry_count < handler.max_retries:
        handler.retry_count += 1
        delay = handler.retry_delay * handler.retry_backoff ** (handler.retry_count - 1)
        return ErrorDecision(action=ErrorAction.RETRY, delay=delay, proceed=True)
    return ErrorDecision(action=ErrorAction.STOP, proceed=not handler.is_critical, exhausted=True)


@hookimpl
def routilux_register_error_strategies() -> List[ErrorStrategySpec]:
    return [
        ErrorStrategySpec(name="stop", decide=decide_stop, description="fail the routine and the job"),
        ErrorStrategySpec(name="continue", decide=decide_continue, description="record the error, go on"),
        ErrorStrategySpec(name="retry", decide=decide_retry, description="retry with exponential backoff"),
        ErrorStrategySpec(name="skip", decide=decide_skip, description="mark the routine skipped, go on"),
    ]
