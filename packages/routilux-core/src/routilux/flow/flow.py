"""Flow: routines wired event → slot, and the jobs that run through them."""

from __future__ import annotations

import threading
import uuid
from typing import Any

from routilux.connection import Connection
from routilux.engine.control import check_timeout
from routilux.engine.durability import begin_durable_job
from routilux.engine.executors.base import Executor, ExecutorChoice
from routilux.engine.runtime import Engine
from routilux.error_handler import ErrorHandler
from routilux.event import Event
from routilux.execution_tracker import ExecutionTracker
from routilux.flow.compat import FlowApi010
from routilux.flow.durable import FlowStore
from routilux.flow.flow_codec import FlowStructure, read_flow, serialize_flow
from routilux.job_lifecycle import transition
from routilux.job_state import DEFAULT_HISTORY_LIMIT, ExecutionRecord, JobState
from routilux.routine import Routine
from routilux.serialization.classes import add_core_classes
from routilux.slot import Slot

__all__ = ["DEFAULT_PAUSE_TIMEOUT", "Flow"]

#: Seconds ``Flow.pause`` waits at most for the job's running handlers (0.10 waited 5 s).
DEFAULT_PAUSE_TIMEOUT = 5.0


class Flow(FlowStore, FlowApi010):
    """A graph of routines and the engine that runs jobs through it.

    ``execution_strategy`` names an executor registered by a plugin: core
    provides ``"sequential"`` (one worker, strict FIFO) and ``"concurrent"``
    (``max_workers`` threads). ``history_limit`` bounds the emit records kept
    per job (0 turns them off, None keeps all); ``executor_options`` are passed
    to the executor's factory.
    """

    def __init__(
        self,
        flow_id: str | None = None,
        execution_strategy: str = "sequential",
        max_workers: int = 5,
        execution_timeout: float | None = None,
        *,
        history_limit: int | None = DEFAULT_HISTORY_LIMIT,
        executor_options: dict[str, Any] | None = None,
        store: Any = None,
    ) -> None:
        self.flow_id: str = flow_id or str(uuid.uuid4())
        self.routines: dict[str, Routine] = {}
        self.connections: list[Connection] = []
        self.error_handler: ErrorHandler | None = None
        self.execution_strategy = execution_strategy
        self.max_workers = max_workers if execution_strategy != "sequential" else 1
        self.execution_timeout = execution_timeout if execution_timeout is not None else 300.0
        self.history_limit = history_limit
        self.executor_options: dict[str, Any] = dict(executor_options or {})
        self._engine = Engine(self, self._create_executor)
        self.execution_tracker = None
        #: The flow's engine, which routes its emits (the :class:`~routilux.router.Router` of its routines).
        self.router: Engine = self._engine
        self._execution_lock = threading.Lock()
        self.store = None
        self._origin = (None, None)
        #: The routines (by id) that run on an executor other than the flow's: see set_routine_executor.
        self.routine_executors: dict[str, ExecutorChoice] = {}
        self._choices: dict[tuple[str, int, str], ExecutorChoice] = {}
        if store is not None:
            self.set_store(store)

    @property
    def execution_tracker(self) -> ExecutionTracker | None:
        """The tracker of the flow's latest job (each ``execute`` makes a new one); may be set."""
        return self._engine.tracker

    @execution_tracker.setter
    def execution_tracker(self, tracker: ExecutionTracker | None) -> None:
        self._engine.tracker = tracker

    # -- structure -----------------------------------------------------------------------

    def add_routine(self, routine: Routine, routine_id: str | None = None) -> str:
        """Add ``routine`` under ``routine_id`` (default: its ``_id``) and return the id."""
        if not isinstance(routine, Routine):
            raise TypeError(f"add_routine expects a Routine, got {routine!r}")
        rid = routine_id or routine._id
        if rid in self.routines:
            raise ValueError(f"Routine ID '{rid}' already exists in flow")
        self.routines[rid] = routine
        self._engine.routine_ids.setdefault(routine, rid)
        return rid

    def connect(
        self,
        source_routine_id: str,
        source_event: str,
        target_routine_id: str,
        target_slot: str,
        param_mapping: dict[str, str] | None = None,
    ) -> Connection:
        """Wire ``source_routine_id.source_event`` to ``target_routine_id.target_slot``."""
        source = self._routine_or_error(source_routine_id, "Source")
        event = _member_or_error(source._events, source_event, "Event", source_routine_id)
        target = self._routine_or_error(target_routine_id, "Target")
        slot = _member_or_error(target._slots, target_slot, "Slot", target_routine_id)
        connection = Connection(event, slot, param_mapping)
        self.connections.append(connection)
        self._engine.connections[(event, slot)] = connection
        return connection

    def _routine_or_error(self, routine_id: str, role: str) -> Routine:
        routine = self.routines.get(routine_id)
        if routine is None:
            raise ValueError(
                f"{role} routine '{routine_id}' not found in flow; routines: {sorted(self.routines)}"
            )
        return routine

    def set_error_handler(self, error_handler: ErrorHandler | None) -> None:
        """The flow-level handler, used for routines that have none of their own."""
        self.error_handler = error_handler

    def set_execution_strategy(self, strategy: str, max_workers: int | None = None) -> None:
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

    def set_routine_executor(
        self, routine_id: str, name: str | None, *, max_workers: int | None = None, **options: Any
    ) -> None:
        """Run ``routine_id``'s activations on the executor plugin ``name`` (None: the flow's own).

        The flow's ``execution_strategy`` stays the default for every other
        routine, so one job can span several executors (a CPU-heavy routine
        on ``dask``, routers and sinks local). Routines given the same name
        and settings share one executor. Each executor keeps its own order:
        ``sequential`` is FIFO among the activations it runs, and nothing is
        promised between activations of routines on different executors.
        Pause, resume, cancel, retries and completion work across them.

        Raises:
            ValueError: no such routine in the flow, no executor plugin ``name``, or a
                ``max_workers`` that is not a positive int.
            TypeError: an option the executor does not take (the message lists those it does).
        """
        routine = self.routines.get(routine_id)
        if routine is None:
            raise ValueError(
                f"cannot choose an executor for routine {routine_id!r}: no such routine in flow "
                f"{self.flow_id!r}; routines: {sorted(self.routines)}"
            )
        choice = None
        if name is not None:
            from routilux.plugins import get_registry

            spec = get_registry().get_executor(name)  # an unknown name fails here, naming the known ones
            workers = max_workers if max_workers is not None else (1 if name == "sequential" else 5)
            spec.check_settings(workers, options)
            key = (name, workers, repr(sorted(options.items())))
            choice = self._choices.get(key)
            if choice is None:
                choice = self._choices[key] = ExecutorChoice(name=name, max_workers=workers, options=options)
        self._engine.run_routine_on(routine, choice)
        if choice is None:
            self.routine_executors.pop(routine_id, None)
        else:
            self.routine_executors[routine_id] = choice

    def _create_executor(self, choice: ExecutorChoice | None = None) -> Executor:
        from routilux.plugins import get_registry

        if choice is None:
            spec = get_registry().get_executor(self.execution_strategy)
            spec.check_settings(self.max_workers, self.executor_options)
            return spec.factory(max_workers=self.max_workers, **self.executor_options)  # type: ignore[no-any-return]
        spec = get_registry().get_executor(choice.name)
        return spec.factory(max_workers=choice.max_workers, **choice.options)  # type: ignore[no-any-return]

    # -- lookups -----------------------------------------------------------------------------

    def find_routines_by_type(self, routine_type: type[Routine]) -> list[tuple[str, Routine]]:
        return [(rid, r) for rid, r in self.routines.items() if isinstance(r, routine_type)]

    def get_routine_retry_count(self, routine_id: str) -> int | None:
        routine = self.routines.get(routine_id)
        handler = routine.get_error_handler() if routine is not None else None
        return handler.retry_count if handler is not None else None

    # -- running -------------------------------------------------------------------------------

    def execute(
        self,
        entry_routine_id: str,
        entry_params: dict[str, Any] | None = None,
        execution_strategy: str | None = None,
        timeout: float | None = None,
    ) -> JobState:
        """Start a job: run the entry's ``trigger`` slot here, the rest in the background.

        Returns the job's :class:`JobState` as soon as the trigger handler has
        returned; entry failures are settled by the error handler before
        that and never raise. Only an unknown entry id raises ``ValueError``,
        and, for a flow with a store, a job the store cannot take:
        ``StoreError`` (the store failed or is closed) or ``TypeError`` (the
        entry params hold a value its serializer cannot encode).
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
        tracker = ExecutionTracker(self.flow_id, routine_ids=self._engine.routine_ids)
        self.execution_tracker = tracker
        params = entry_params or {}
        for member in self.routines.values():
            member._current_flow = self
        job.record_execution(entry_routine_id, "start", params)
        if self.store is not None:  # the header stands for the start record: journaling starts after it
            begin_durable_job(self, job, entry_routine_id, params, self.store, *self._origin)
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
        checkpoint: dict[str, Any] | None = None,
        *,
        timeout: float = DEFAULT_PAUSE_TIMEOUT,
    ) -> bool:
        """Pause this job (only it): running activations finish, the rest are kept in the job.

        Returns True once nothing of the job runs (its pending work is then
        described in ``job_state.pending_tasks``), False if ``timeout``
        seconds passed first: the job is paused all the same and the
        handlers still running are held as they end (``timeout=0`` does not
        wait: the pause is in force when the call returns). From inside one of the
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

    def shutdown(self, wait: bool = True, timeout: float | None = None) -> None:
        """Stop the executor's workers (after the work queued so far when ``wait``).

        The flow stays usable: the next job starts a new executor.
        """
        if wait:
            self._wait_all(timeout)
        self._engine.shutdown(wait=wait)

    # -- serialization -------------------------------------------------------------------------

    def serialize(self) -> dict[str, Any]:
        """The flow's structure as plain data (no job state; jobs serialize themselves).

        Keys: ``_type`` ("Flow"), ``flow_id``, ``execution_strategy``,
        ``max_workers``, ``execution_timeout``, ``history_limit``,
        ``error_handler``, ``routines`` (flow key -> routine data) and
        ``connections`` (each with the flow keys of its two routines). Raises
        ``TypeError`` naming a routine whose class cannot be created without
        arguments (it could not be restored).
        """
        return serialize_flow(self)

    def deserialize(self, data: dict[str, Any], registry: Any = None) -> Flow:
        """Replace this flow's structure with the one in ``data``; returns the flow.

        Routines are re-created from their ``_type`` (see
        :func:`routilux.serialization.resolve_class`) under the same flow keys,
        and every connection joins the same two routines as before.
        Connections whose ends cannot be found are dropped with a warning.
        The new structure is built completely before the flow is touched: on
        ``ValueError``/``TypeError`` the flow is unchanged. ``data`` is not
        changed.
        """
        self._install(read_flow(data, registry))
        return self

    def _install(self, structure: FlowStructure) -> None:
        """Replace the structure and settings with ``structure`` (nothing here can fail)."""
        if structure.flow_id:
            self.flow_id = structure.flow_id
        restored = (structure.execution_strategy, structure.max_workers)
        if restored != (self.execution_strategy, self.max_workers):
            self._engine.shutdown(wait=False)  # the next job starts an executor of the restored kind
        self.execution_strategy = structure.execution_strategy
        self.max_workers = structure.max_workers
        if structure.execution_timeout is not None:
            self.execution_timeout = structure.execution_timeout
        if structure.has_history_limit:
            self.history_limit = structure.history_limit
        self.error_handler = structure.error_handler
        self.routines = structure.routines
        self.connections = structure.connections
        self._engine.routine_ids = structure.routine_ids
        self._engine.connections = structure.index
        # The routine executors named routines of the old structure.
        self._engine.forget_routine_executors()
        self.routine_executors.clear()

    def __repr__(self) -> str:
        return f"Flow[{self.flow_id}]"


# Core's classes, found first by ``_type`` name when data is restored. Named here, above all of
# them, so that the table (a leaf of routilux.serialization) imports none of them.
add_core_classes(
    Routine, Slot, Event, Connection, Flow, JobState, ExecutionRecord, ErrorHandler, ExecutionTracker
)


def _member_or_error(members: dict[str, Any], name: str, kind: str, routine_id: str) -> Any:
    """``members[name]``, or the 0.10 ``ValueError`` naming the routine and what it has."""
    member = members.get(name)
    if member is None:
        raise ValueError(
            f"{kind} '{name}' not found in routine '{routine_id}'; its {kind.lower()}s: {sorted(members)}"
        )
    return member
