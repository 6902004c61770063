"""Error strategies and the ErrorHandler that applies one to a routine or a flow.

The four 0.10 strategies (stop, continue, retry, skip) are plugins like any
other: ``routilux.error_strategies`` registers them through the error-strategy hook,
and a third-party strategy is selected by its registered name. A strategy's
``decide(handler, error, context)`` returns an :class:`ErrorDecision`; the
engine acts on its ``action``.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Mapping
from typing import Any

from routilux.error_decision import ErrorAction, ErrorContext, ErrorDecision
from routilux.serialization.values import check_type, field, non_negative, require_mapping

__all__ = [
    "ErrorAction",
    "ErrorContext",
    "ErrorDecision",
    "ErrorHandler",
    "ErrorStrategy",
    "apply_side_effects",
]

logger = logging.getLogger(__name__)


class ErrorStrategy(enum.Enum):
    """The built-in strategies."""

    STOP = "stop"
    CONTINUE = "continue"
    RETRY = "retry"
    SKIP = "skip"


def _strategy_from(value: ErrorStrategy | str) -> ErrorStrategy | str:
    if isinstance(value, ErrorStrategy):
        return value
    if not isinstance(value, str):
        raise TypeError(
            f"strategy must be an ErrorStrategy or a registered strategy name, got {value!r}"
        )
    try:
        return ErrorStrategy(value)
    except ValueError:
        pass
    from routilux.plugins import get_registry

    registry = get_registry()
    if value in registry.error_strategies:
        return value
    # Raises PluginLookupError (a ValueError) listing what exists.
    registry.get_error_strategy(value)
    raise AssertionError("unreachable")  # pragma: no cover


class ErrorHandler:
    """How failures of a routine (or, as a default, of a whole flow) are handled.

    ``strategy`` is an :class:`ErrorStrategy`, its value (``"retry"``) or the
    name of a strategy registered by a plugin. ``retry_count`` counts retries
    made under this handler; it is shared by everything that uses the handler
    and is reset by :meth:`reset`.
    """

    def __init__(
        self,
        strategy: ErrorStrategy | str = "stop",
        max_retries: int = 3,
        retry_delay: float = 1.0,
        retry_backoff: float = 2.0,
        retryable_exceptions: tuple[type[BaseException], ...] | None = None,
        is_critical: bool = False,
    ) -> None:
        self.strategy = _strategy_from(strategy)
        self.max_retries = max_retries
        self.retry_delay = retry_delay
        self.retry_backoff = retry_backoff
        self.retryable_exceptions: tuple[type[BaseException], ...] = retryable_exceptions or (Exception,)
        self.is_critical = is_critical
        self.retry_count = 0

    @property
    def strategy_name(self) -> str:
        """The strategy's registered name (``"retry"``, ``"circuit_breaker"``, ...)."""
        strategy = self.strategy
        return strategy.value if isinstance(strategy, ErrorStrategy) else strategy

    def reset(self) -> None:
        self.retry_count = 0

    def decide(self, error: BaseException, context: ErrorContext) -> ErrorDecision:
        """Ask the strategy what to do; updates ``retry_count`` but never sleeps."""
        from routilux.plugins import get_registry

        spec = get_registry().get_error_strategy(self.strategy_name)
        decision = spec.decide(self, error, context)
        if not isinstance(decision, ErrorDecision):
            raise TypeError(
                f"error strategy {self.strategy_name!r} returned {decision!r}; expected an ErrorDecision"
            )
        return decision

    def handle_error(
        self,
        error: BaseException,
        routine: Any,
        routine_id: str | None,
        flow: Any,
        job_state: Any = None,
        context: Any = None,
    ) -> bool:
        """Apply the strategy synchronously, as 0.10 did: record, sleep before a retry.

        Returns True when the caller should continue (or retry), False when
        the routine should fail.
        """
        decision = self.decide(
            error, ErrorContext(routine=routine, routine_id=routine_id, flow=flow, job_state=job_state)
        )
        logger.warning(
            "Routine %r failed (%s: %s); strategy %s -> %s",
            routine_id, type(error).__name__, error, self.strategy_name, decision.action.value,
        )
        apply_side_effects(decision, error, routine_id, job_state)
        if decision.action is ErrorAction.RETRY and decision.delay > 0:
            time.sleep(decision.delay)
        return decision.proceed

    def serialize(self) -> dict[str, Any]:
        """The handler's settings, the strategy as its name; ``retryable_exceptions`` is not stored."""
        return serialize_error_handler(self)

    def deserialize(self, data: dict[str, Any], registry: Any = None) -> ErrorHandler:
        """Restore the settings; the strategy name becomes the enum (or a plugin strategy name)."""
        return deserialize_error_handler(self, data)

    def __repr__(self) -> str:
        return f"ErrorHandler[{self.strategy_name}, retries={self.retry_count}/{self.max_retries}]"


# -- serialized form ---------------------------------------------------------------------------

_NUMBER = (int, float)


def serialize_error_handler(handler: ErrorHandler) -> dict[str, Any]:
    return {
        "_type": "ErrorHandler",
        "strategy": handler.strategy_name,
        "max_retries": handler.max_retries,
        "retry_delay": handler.retry_delay,
        "retry_backoff": handler.retry_backoff,
        "retry_count": handler.retry_count,
        "is_critical": handler.is_critical,
    }


def deserialize_error_handler(
    handler: ErrorHandler, data: Any, what: str = "ErrorHandler"
) -> ErrorHandler:
    """Restore ``handler`` from ``data``, changing nothing unless all of it is valid."""
    data = require_mapping(data, what)
    check_type(data, "ErrorHandler", what, required=False)
    strategy_value = field(data, "strategy", str, what, default=handler.strategy_name)
    try:
        strategy = _strategy_from(strategy_value)
    except ValueError as error:
        raise ValueError(
            f"{what}: field 'strategy' has the unknown strategy {strategy_value!r}: {error}"
        ) from None
    max_retries = non_negative(
        field(data, "max_retries", int, what, default=handler.max_retries), "max_retries", what
    )
    retry_delay = non_negative(
        field(data, "retry_delay", _NUMBER, what, default=handler.retry_delay), "retry_delay", what
    )
    retry_backoff = non_negative(
        field(data, "retry_backoff", _NUMBER, what, default=handler.retry_backoff), "retry_backoff", what
    )
    retry_count = non_negative(
        field(data, "retry_count", int, what, default=handler.retry_count), "retry_count", what
    )
    is_critical = field(data, "is_critical", bool, what, default=handler.is_critical)
    handler.strategy = strategy
    handler.max_retries = max_retries
    handler.retry_delay = retry_delay
    handler.retry_backoff = retry_backoff
    handler.retry_count = retry_count
    handler.is_critical = is_critical
    return handler


def optional_error_handler(data: Mapping[str, Any], key: str, what: str) -> ErrorHandler | None:
    """A new handler restored from ``data[key]``, or None when that is absent or None."""
    raw = data.get(key)
    if raw is None:
        return None
    return deserialize_error_handler(ErrorHandler(), raw, f"{what}, field {key!r}")


def apply_side_effects(
    decision: ErrorDecision, error: BaseException, routine_id: str | None, job_state: Any
) -> None:
    """The job records a decision leaves: CONTINUE notes the error, SKIP marks the routine."""
    if job_state is None or routine_id is None:
        return
    if decision.action is ErrorAction.CONTINUE:
        job_state.record_execution(
            routine_id, "error_continued", {"error": str(error), "error_type": type(error).__name__}
        )
    elif decision.action is ErrorAction.SKIP:
        job_state.update_routine_state(routine_id, {"status": "skipped", "error": str(error)})
