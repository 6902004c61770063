"""The parts of Flow's interface that the routilux 0.10 API fixes and new code does not need.

User code and the 0.10 test-suite read these underscore names (spec §4, §20):
the executor, lookups by routine and connection, the dependency-graph helpers
and the deprecated flow-wide wait (whose ``_wait_all`` ``shutdown`` uses too).
They are kept working here, in one place,
as a base class of :class:`~routilux.flow.Flow`; each reads the flow's engine.
"""

from __future__ import annotations

import warnings

from routilux.connection import Connection
from routilux.engine.executors.base import Executor
from routilux.engine.job_run import PAUSED
from routilux.engine.runtime import Engine
from routilux.event import Event
from routilux.job_state import JobState
from routilux.job_waiting import deadline_of
from routilux.routine import Routine
from routilux.slot import Slot

__all__ = ["FlowApi010"]


class FlowApi010:
    """The 0.10 names of :class:`~routilux.flow.Flow` (see the module docstring)."""

    _engine: Engine
    routines: dict[str, Routine]
    connections: list[Connection]

    @property
    def _event_slot_connections(self) -> dict[tuple[Event, Slot], Connection]:
        """The connection of each wired ``(event, slot)`` pair (a 0.10 attribute; the engine keeps it)."""
        return self._engine.connections

    @_event_slot_connections.setter
    def _event_slot_connections(self, index: dict[tuple[Event, Slot], Connection]) -> None:
        self._engine.connections = index

    def _get_executor(self) -> Executor:
        """The flow's executor, started on first use (a 0.10 method)."""
        return self._engine.executor()

    @property
    def _executor(self) -> Executor | None:
        """The executor, None until first needed (a 0.10 attribute)."""
        return self._engine.current_executor

    def _get_routine_id(self, routine: Routine) -> str | None:
        """The routine's id in this flow (a 0.10 method; ``flow.router.routine_id_of``)."""
        return self._engine.routine_ids.get(routine)

    def _find_connection(self, event: Event, slot: Slot) -> Connection | None:
        """The connection wiring ``event`` to ``slot`` (a 0.10 method)."""
        return self._engine.connections.get((event, slot))

    def _build_dependency_graph(self) -> dict[str, set[str]]:
        """``{routine_id: ids of the routines feeding it}`` (a 0.10 method)."""
        ids = self._engine.routine_ids
        graph: dict[str, set[str]] = {rid: set() for rid in self.routines}
        for connection in self.connections:
            source = connection.source_event.routine if connection.source_event else None
            target = connection.target_slot.routine if connection.target_slot else None
            source_id, target_id = ids.get(source), ids.get(target)
            if source_id is not None and target_id is not None and source_id != target_id:
                graph[target_id].add(source_id)
        return graph

    def _get_ready_routines(
        self, completed: set[str], dependency_graph: dict[str, set[str]], running: set[str]
    ) -> list[str]:
        """The routines whose inputs have all completed and that are neither done nor running (0.10)."""
        return [
            rid for rid, deps in dependency_graph.items()
            if rid not in completed and rid not in running and deps <= completed
        ]

    @property
    def _paused(self) -> bool:
        """Whether a job of this flow is paused here (a 0.10 attribute)."""
        return any(run.gate == PAUSED for run in list(self._engine.active))

    def wait_for_completion(
        self, timeout: float | None = None, job_state: JobState | None = None
    ) -> bool:
        """Deprecated: use ``JobState.wait_for_completion(flow, job_state, timeout)``."""
        if job_state is not None:
            warnings.warn(
                "Flow.wait_for_completion(job_state=...) is deprecated; "
                "use JobState.wait_for_completion(flow, job_state, timeout)",
                DeprecationWarning,
                stacklevel=2,
            )
            return JobState.wait_for_completion(self, job_state, timeout)
        warnings.warn(
            "Flow.wait_for_completion() is deprecated; wait on each job with JobState.wait_for_completion",
            DeprecationWarning,
            stacklevel=2,
        )
        return self._wait_all(timeout)

    def _wait_all(self, timeout: float | None) -> bool:
        import time

        deadline = deadline_of(timeout)
        for run in list(self._engine.active):
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not JobState.wait_for_completion(self, run.job, remaining):
                return False
        return True
