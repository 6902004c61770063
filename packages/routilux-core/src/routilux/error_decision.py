"""What an error strategy is told about a failure, and what it answers.

These records are the contract between the engine and error-strategy plugins
(``routilux_register_error_strategies``); they sit below both, so a strategy
module needs nothing else from routilux to build its answer.
"""

from __future__ import annotations

import enum
from typing import Any

import attrs

__all__ = ["ErrorAction", "ErrorContext", "ErrorDecision"]


class ErrorAction(str, enum.Enum):
    """What the engine does with a failed activation."""

    STOP = "stop"  # the routine fails, and with it the job
    CONTINUE = "continue"  # the error is recorded and the job goes on
    SKIP = "skip"  # the routine is marked skipped and the job goes on
    RETRY = "retry"  # the activation runs again after ``delay`` seconds


@attrs.frozen(kw_only=True)
class ErrorContext:
    """Where an error happened, as passed to a strategy's ``decide``.

    ``attempt`` counts the retries the failed activation already had (0 for a
    first failure); None when unknown (a direct ``handle_error`` call), in
    which case retry strategies count on the handler's ``retry_count``.
    """

    routine: Any
    routine_id: str | None
    flow: Any
    job_state: Any = None
    attempt: int | None = None


@attrs.frozen(kw_only=True)
class ErrorDecision:
    """A strategy's answer.

    ``proceed`` is what :meth:`ErrorHandler.handle_error` returns (the 0.10
    "should continue / should retry" flag); ``exhausted`` marks a retry
    strategy that has no attempts left.
    """

    action: ErrorAction
    delay: float = 0.0
    proceed: bool = False
    exhausted: bool = False
