"""Flow: routines wired event → slot, and the jobs that run through them."""

from __future__ import annotations

import threading
import uuid
import warnings
from typing import Any, Dict, List, Optional, Set, Tuple, Type

from routilux.connection import Connection
from routilux.engine.control import check_timeout
from routilux.engine.runtime import Engine
from routilux.error_handler import ErrorHandler
from routilux.event import Event
from routilux.execution_tracker import ExecutionTracker
from routilux.job_lifecycle import transition
from routilux.job_state import DEFAULT_HISTORY_LIMIT, ExecutionRecord, JobState
from routilux.routine import Routine
from routilux.serialization.classes import add_core_classes
from routilux.slot import Slot

__all__ = ["DEFAULT_PAUSE_TIMEOUT", "Flow"]

#: Seconds ``Flow.pause`` waits at most for the job's running handlers (0.10 waited 5 s).
DEFAULT_PAUSE_TIMEOUT = 5.0


class Flow:
    """A graph of routines and the engine that runs jobs through it.

    ``execution_strategy`` names an executor registered by a plugin: core
    provides ``"sequential"`` (one worker, strict FIFO) and ``"concurrent"``
    (``max_workers`` threads). ``history_limit`` bounds the emit records kept
    per job (0 turns them off, None keeps all); ``executor_options`` are passed
    to the executor's factory.
    """

    def __init__(
        self,
        flow_id: Optional[str] = None,
        execution_strategy: str = "sequential",
        max_workers: int = 5,
        execution_timeout: Optional[float] = None,
        *,
        history_limit: Optional[int] = DEFAULT_HISTORY_LIMIT,
        executor_options: Optional[Dict[str, Any]] = None,
    ) -> None:
        self.flow_id: str = flow_id or str(uuid.uuid4())
        self.routines: Dict[str, Routine] = {}
        self.connections: List[Connection] = []
        self.execution_tracker: Optional[ExecutionTracker] = None
        self.error_handler: Optional[ErrorHandler] = None
        self.execution_strategy = execution_strategy
        self.max_workers = max_workers if execution_strategy != "sequential" else 1
        self.execution_timeout = execution_timeout if execution_timeout is not None else 300.0
        self.history_limit = history_limit
        self.executor_options: Dict[str, Any] = dict(executor_options or {})
        self._event_slot_connections: Dict[Tuple[Event, Slot], Connection] = {}
        # The first flow id of each routine, for O(1) lookups on the hot path.
        self._routine_ids: Dict[Routine, str] = {}
        self._engine = Engine(self)
        self._route = self._engine.route
        self._execution_lock = threading.Lock()

    # -- structure -----------------------------------------------------------------------

    def add_routine(self, routine: Routine, routine_id: Optional[str] = None) -> str:
        """Add ``routine`` under ``routine_id`` (default: its ``_id``) and return the id."""
        if not isinstance(routine, Routine):
            raise TypeError(f"add_routine expects a Routine, got {routine!r}")
        rid = routine_id or routine._id
        if rid in self.routines:
            raise ValueError(f"Routine ID '{rid}' already exists in flow")
        self.routines[rid] = routine
        self._routine_ids.setdefault(routine, rid)
        return rid

    def connect(
        self,
        source_routine_id: str,
        source_event: str,
        target_routine_id: str,
        target_slot: str,
        param_mapping: Optional[Dict[str, str]] = None,
    ) -> Connection:
        """Wire ``source_routine_id.source_event`` to ``target_routine_id.target_slot``."""
        source = self._routine_or_error(source_routine_id, "Source")
        event = _member_or_error(source._events, source_event, "Event", source_routine_id)
        target = self._routine_or_error(target_routine_id, "Target")
        slot = _member_or_error(target._slots, target_slot, "Slot", target_routine_id)
        connection = Connection(event, slot, param_mapping)
        self.connections.append(connection)
        self._event_slot_connections[(event, slot)] = connection
        return connection

    def _routine_or_error(self, routine_id: str, role: str) -> Routine:
        routine = self.routines.get(routine_id)
        if routine is None:
            raise ValueError(
                f"{role} routine '{routine_id}' not found in flow; routines: {sorted(self.routines)}"
            )
        return routine

    def set_error_handler(self, error_handler: Optional[ErrorHandler]) -> None:
        """The flow-level handler, used for routines that have none of their own."""
        self.error_handler = error_handler

    def set_execution_strategy(self, strategy: str, max_workers: Optional[int] = None) -> None:
        """Select the executor named ``strategy``.

        Activations already queued finish on the old executor (shut down
        without waiting); every activation submitted afterwards, including
        those of jobs already running, goes to the new one.
        """
        from routilux.plugins import get_registry

        try:
            get_registry().get_executor(strategy)
        except ValueError as error:
            raise ValueError(f"Invalid execution strategy: {strategy!r}. {error}") from error
        self.execution_strategy = strategy
        self.max_workers = 1 if strategy == "sequential" else (max_workers or 5)
        self._engine.shutdown(wait=False)

    def _create_executor(self) -> Any:
        from routilux.plugins import get_registry

        spec = get_registry().get_executor(self.execution_strategy)
        return spec.factory(max_workers=self.max_workers, **self.executor_options)

    def _get_executor(self) -> Any:
        return self._engine.executor()

    @property
    def _executor(self) -> Any:
        return self._engine._executor

    # -- lookups -----------------------------------------------------------------------------

    def _get_routine_id(self, routine: Routine) -> Optional[str]:
        return self._routine_ids.get(routine)

    def _resolve_routine(self, routine_id: Optional[str]) -> Optional[Routine]:
        """By flow id first, then by a routine's ``_id``."""
        if routine_id is None:
            return None
        routine = self.routines.get(routine_id)
        if routine is None:
            routine = next((r for r in self.routines.values() if r._id == routine_id), None)
        return routine

    def _find_connection(self, event: Event, slot: Slot) -> Optional[Connection]:
        return self._event_slot_connections.get((event, slot))

    def find_routines_by_type(self, routine_type: Type[Routine]) -> List[Tuple[str, Routine]]:
        return [(rid, r) for rid, r in self.routines.items() if isinstance(r, routine_type)]

    def get_routine_retry_count(self, routine_id: str) -> Optional[int]:
        routine = self.routines.get(routine_id)
        handler = routine.get_error_handler() if routine is not None else None
        return handler.retry_count if handler is not None else None

    def _build_dependency_graph(self) -> Dict[str, Set[str]]:
        """``{routine_id: ids of the routines feeding it}``."""
        graph: Dict[str, Set[str]] = {rid: set() for rid in self.routines}
        for connection in self.connections:
            source = connection.source_event.routine if connection.source_event else None
            target = connection.target_slot.routine if connection.target_slot else None
            source_id, target_id = self._routine_ids.get(source), self._routine_ids.get(target)  # type: ignore[arg-type]
            if source_id is not None and target_id is not None and source_id != target_id:
                graph[target_id].add(source_id)
        return graph

    def _get_ready_routines(
        self, completed: Set[str], dependency_graph: Dict[str, Set[str]], running: Set[str]
    ) -> List[str]:
        return [
            rid for rid, deps in dependency_graph.items()
            if rid not in completed and rid not in running and deps <= completed
        ]

    # -- running -------------------------------------------------------------------------------

    def execute(
        self,
        entry_routine_id: str,
        entry_params: Optional[Dict[str, Any]] = None,
        execution_strategy: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> JobState:
        """Start a job: run the entry's ``trigger`` slot here, the rest in the background.

        Returns the job's :class:`JobState` as soon as the trigger handler has
        returned; entry failures are settled by the error handler before
        that and never raise. Only an unknown entry id raises ``ValueError``.
        """
        routine = self.routines.get(entry_routine_id)
        if routine is None:
            raise ValueError(
                f"Entry routine '{entry_routine_id}' not found in flow; routines: {sorted(self.routines)}"
            )
        self._engine.executor()  # an unknown executor name fails here, loudly
        job = JobState(self.flow_id, history_limit=self.history_limit)
        job.status = transition(job.job_id, job.status, "execute") or job.status
        job.current_routine_id = entry_routine_id
        tracker = ExecutionTracker(self.flow_id, routine_ids=self._routine_ids)
        self.execution_tracker = tracker
        params = entry_params or {}
        for member in self.routines.values():
            member._current_flow = self
        job.record_execution(entry_routine_id, "start", params)
        tracker.record_routine_start(entry_routine_id, params)
        self._engine.begin_job(job)
        self._engine.run_entry(job, entry_routine_id, routine, params)
        return job

    def _check_job(self, job_state: JobState) -> None:
        if job_state.flow_id != self.flow_id:
            raise ValueError(
                f"JobState flow_id '{job_state.flow_id}' does not match Flow flow_id '{self.flow_id}'"
            )

    def pause(
        self,
        job_state: JobState,
        reason: str = "",
        checkpoint: Optional[Dict[str, Any]] = None,
        *,
        timeout: float = DEFAULT_PAUSE_TIMEOUT,
    ) -> bool:
        """Pause this job (only it): running activations finish, the rest are kept in the job.

        Returns True once nothing of the job runs (its pending work is then
        described in ``job_state.pending_tasks``), False if ``timeout``
        seconds passed first: the job is paused all the same and the
        handlers still running are held as they end. From inside one of the
        job's own handlers it returns False at once (a handler cannot wait
        for itself); the pause completes when that handler returns. See the
        README's "Job lifecycle" table for every status.

        Raises:
            ValueError: the job belongs to another flow; it is failed,
                cancelled or a snapshot of a running job (a
                ``JobStatusError`` naming the job and its status); or
                ``timeout`` is negative or not finite.
        """
        self._check_job(job_state)
        return self._engine.control.pause(job_state, reason, checkpoint, check_timeout(timeout))

    def resume(self, job_state: JobState) -> JobState:
        """Continue a paused job (also one loaded from storage) where it stopped; returns the job.

        The held (or described) activations and the deferred events are
        queued again and the call returns with the job ``"running"``: the
        engine completes it when its last activation ends. A job that is not
        paused is returned unchanged, except that a failed or cancelled job,
        and a ``"running"`` snapshot (saved while it ran, then loaded), are
        refused: a snapshot holds no record of its in-flight work.

        Raises:
            ValueError: the job belongs to another flow, its current routine
                is not in this flow, or its status allows no resume (a
                ``JobStatusError`` naming the job and its status).
        """
        self._check_job(job_state)
        current = job_state.current_routine_id
        if current is not None and current not in self.routines:
            raise ValueError(
                f"Current routine '{current}' not found in flow; routines: {sorted(self.routines)}"
            )
        for member in self.routines.values():
            member._current_flow = self
        self._engine.control.resume(job_state)
        return job_state

    def cancel(self, job_state: JobState, reason: str = "") -> None:
        """Cancel this job for good: its pending work is dropped and nothing of it runs afterwards."""
        self._check_job(job_state)
        self._engine.control.cancel(job_state, reason)

    @property
    def _paused(self) -> bool:
        return any(job._gate == "paused" for job in list(self._engine.active_jobs))

    def _report_slot_error(
        self, slot: Slot, data: Dict[str, Any], error: Exception, job_state: JobState
    ) -> None:
        self._engine.report_slot_error(slot, data, error, job_state)

    def wait_for_completion(
        self, timeout: Optional[float] = None, job_state: Optional[JobState] = None
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

    def _wait_all(self, timeout: Optional[float]) -> bool:
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        for job in list(self._engine.active_jobs):
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not JobState.wait_for_completion(self, job, remaining):
                return False
        return True

    def shutdown(self, wait: bool = True, timeout: Optional[float] = None) -> None:
        """Stop the executor's workers (after the work queued so far when ``wait``).

        The flow stays usable: the next job starts a new executor.
        """
        if wait:
            self._wait_all(timeout)
        self._engine.shutdown(wait=wait)

    # -- serialization -------------------------------------------------------------------------

    def serialize(self) -> Dict[str, Any]:
        """The flow's structure as plain data (no job state; jobs serialize themselves).

        Keys: ``_type`` ("Flow"), ``flow_id``, ``execution_strategy``,
        ``max_workers``, ``execution_timeout``, ``history_limit``,
        ``error_handler``, ``routines`` (flow key -> routine data) and
        ``connections`` (each with the flow keys of its two routines). Raises
        ``TypeError`` naming a routine whose class cannot be created without
        arguments (it could not be restored).
        """
        from routilux.serialization.flows import serialize_flow

        return serialize_flow(self)

    def deserialize(self, data: Dict[str, Any], registry: Any = None) -> "Flow":
        """Replace this flow's structure with the one in ``data``; returns the flow.

        Routines are re-created from their ``_type`` (see
        :func:`routilux.serialization.resolve_class`) under the same flow keys,
        and every connection joins the same two routines as before.
        Connections whose ends cannot be found are dropped with a warning.
        The new structure is built completely before the flow is touched: on
        ``ValueError``/``TypeError`` the flow is unchanged. ``data`` is not
        changed.
        """
        from routilux.serialization.flows import deserialize_flow

        return deserialize_flow(self, data, registry)

    def __repr__(self) -> str:
        return f"Flow[{self.flow_id}]"


# Core's classes, found first by ``_type`` name when data is restored. Named here, above all of
# them, so that the table (a leaf of routilux.serialization) imports none of them.
add_core_classes(
    Routine, Slot, Event, Connection, Flow, JobState, ExecutionRecord, ErrorHandler, ExecutionTracker
)


def _member_or_error(members: Dict[str, Any], name: str, kind: str, routine_id: str) -> Any:
    """``members[name]``, or the 0.10 ``ValueError`` naming the routine and what it has."""
    member = members.get(name)
    if member is None:
        raise ValueError(
            f"{kind} '{name}' not found in routine '{routine_id}'; its {kind.lower()}s: {sorted(members)}"
        )
    return member
