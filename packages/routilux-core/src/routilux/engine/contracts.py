"""The interfaces inside the engine, so that its parts import one way.

:class:`FlowHost` is what the engine reads of its flow (the flow sits above
the engine and hands itself in). :class:`Scheduler` is what job control and
failure handling need of the runtime (:class:`~routilux.engine.runtime.Engine`
implements it), so neither imports the runtime that uses them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from routilux.engine.activation import Activation
    from routilux.engine.job_run import JobRun
    from routilux.error_handler import ErrorHandler
    from routilux.execution_tracker import ExecutionTracker
    from routilux.job_state import JobState
    from routilux.job_stats import Tally
    from routilux.router import Router

__all__ = ["FlowHost", "Scheduler"]


class FlowHost(Protocol):
    """The flow as its engine sees it (a :class:`~routilux.flow.Flow`)."""

    flow_id: str
    routines: dict[str, Any]
    error_handler: ErrorHandler | None
    execution_tracker: ExecutionTracker | None

    @property
    def router(self) -> Router: ...


class Scheduler(Protocol):
    """The runtime's side of job control and failure handling."""

    flow: FlowHost
    routine_ids: dict[Any, str]
    connections: dict[Any, Any]
    active: set[JobRun]

    def submit(self, activation: Activation) -> None: ...

    def dispatch(self, run: JobRun, activation: Activation) -> None: ...

    def schedule(self, activation: Activation, delay: float) -> None: ...

    def track(self, job: JobState) -> JobRun: ...

    def release(self, run: JobRun) -> None: ...

    def tally(self, job: JobState, routine: Any) -> Tally: ...

    def routine_id(self, routine: Any) -> str: ...

    def name_of(self, slot: Any) -> str: ...

    def route(self, event: Any, data: dict[str, Any], job: JobState | None) -> None: ...
