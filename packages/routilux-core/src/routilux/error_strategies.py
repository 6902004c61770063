"""Core's built-in error strategies, registered through the error-strategy hook."""

from __future__ import annotations

from typing import TYPE_CHECKING

from routilux.error_decision import ErrorAction, ErrorContext, ErrorDecision
from routilux.plugins.hookspecs import hookimpl
from routilux.plugins.specs import ErrorStrategySpec

if TYPE_CHECKING:
    from routilux.error_handler import ErrorHandler

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

    The n-th retry waits ``retry_delay * retry_backoff ** (n - 1)`` seconds and
    sets ``retry_count`` to n. Retries are counted per activation when the
    engine says which attempt failed, so a handler shared by several jobs (or
    used again by a later job) gives each activation its own retries; a
    direct ``handle_error`` call counts on ``retry_count`` itself. A
    non-retryable error fails at once without touching ``retry_count``.
    """
    if not isinstance(error, handler.retryable_exceptions):
        return _STOP
    attempt = handler.retry_count if context.attempt is None else context.attempt
    if attempt < handler.max_retries:
        handler.retry_count = attempt + 1
        delay = handler.retry_delay * handler.retry_backoff**attempt
        return ErrorDecision(action=ErrorAction.RETRY, delay=delay, proceed=True)
    return ErrorDecision(action=ErrorAction.STOP, proceed=not handler.is_critical, exhausted=True)


@hookimpl
def routilux_register_error_strategies() -> list[ErrorStrategySpec]:
    return [
        ErrorStrategySpec(name="stop", decide=decide_stop, description="fail the routine and the job"),
        ErrorStrategySpec(name="continue", decide=decide_continue, description="record the error, go on"),
        ErrorStrategySpec(name="retry", decide=decide_retry, description="retry with exponential backoff"),
        ErrorStrategySpec(name="skip", decide=decide_skip, description="mark the routine skipped, go on"),
    ]
