"""The per-flow runtime: routing emits to activations, running them, job accounting and figures.

:class:`Engine` is the flow's :class:`~routilux.router.Router` (events and
slots reach it through ``flow.router``) and the
:class:`~routilux.engine.executors.base.ActivationRunner` its executor calls
back. It owns the flow's wiring (``routine_ids`` and ``connections``) and a
:class:`~routilux.engine.job_run.JobRun` per job in flight.

Figures (``JobState.routine_stats()``): the thread that handles an activation
bumps its own :class:`~routilux.job_stats.Tally` for the routine: ``enqueued``
where it is routed, ``activations``, the outcome and the handler time where it
runs. With a remote executor the start is counted in :meth:`Engine.prepare_remote`
and the outcome and time come back in the :class:`~routilux.engine.remote.RemoteResult`.

Pause, resume, cancel, failure and completion are in :mod:`routilux.engine.control`; the entry in
:mod:`routilux.engine.entry`;
error strategies and retries in :mod:`routilux.engine.failures`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from threading import get_ident
from time import perf_counter
from time import time as _now
from typing import TYPE_CHECKING, Any, final

from routilux.engine.activation import Activation
from routilux.engine.contracts import FlowHost
from routilux.engine.control import JobControl
from routilux.engine.entry import run_entry
from routilux.engine.executors.base import Executor, ExecutorChoice
from routilux.engine.executors.routed import RoutineExecutors
from routilux.engine.failures import Failures
from routilux.engine.job_run import GATES, PAUSED, JobRun
from routilux.engine.journal import JobJournal
from routilux.engine.remote import RemoteCall, RemoteResult
from routilux.engine.remote_runs import RemoteRuns
from routilux.job_context import current_job_state
from routilux.job_state import JobState
from routilux.job_stats import SCRATCH, Tally

if TYPE_CHECKING:
    from routilux.connection import Connection
    from routilux.event import Event
    from routilux.execution_tracker import ExecutionTracker
    from routilux.slot import Slot

__all__ = ["Engine"]

logger = logging.getLogger("routilux.engine")

# What a thread with no tallies in a job finds: looked up, never written.
_NO_TALLIES: dict[Any, Tally] = {}


@final
class Engine:
    """Runs one flow's activations through its executor.

    Args:
        flow: the flow (read for its routines, error handler and tracker).
        executor_factory: creates the flow's executor when the first activation needs it.
    """

    def __init__(self, flow: FlowHost, executor_factory: Callable[[ExecutorChoice | None], Executor]) -> None:
        self.flow = flow
        self._executor_factory = executor_factory
        self._executor: Executor | None = None
        self._executor_lock = threading.Lock()
        #: The routines that run elsewhere than on the flow's executor.
        self.routed = RoutineExecutors(self, executor_factory)
        #: Some routine runs elsewhere than on the flow's executor (see ``_pick_submit``).
        self._by_routine = False
        #: Each routine's first id in the flow, for O(1) naming on the hot path.
        self.routine_ids: dict[Any, str] = {}
        #: The connection of each wired ``(event, slot)`` pair (0.10's ``_event_slot_connections``).
        self.connections: dict[tuple[Event, Slot], Connection] = {}
        #: The flow's ``execution_tracker`` (kept here: it is read per emit).
        self.tracker: ExecutionTracker | None = None
        #: Runs of the jobs with work in flight; set add/discard are atomic.
        self.active: set[JobRun] = set()
        self.control = JobControl(self)
        self.failures = Failures(self, self.control)
        self.remote = RemoteRuns(self, self.control, self.failures)

    # -- executor ------------------------------------------------------------------

    @property
    def current_executor(self) -> Executor | None:
        """The executor started for this flow, or None before the first activation (or after a shutdown)."""
        return self._executor

    def executor(self) -> Executor:
        """The flow's executor, created and started on first use."""
        executor = self._executor
        if executor is None:
            with self._executor_lock:
                executor = self._executor
                if executor is None:
                    executor = self._executor_factory(None)
                    executor.start(self)
                    self._executor = executor
        return executor

    def run_routine_on(self, routine: Any, choice: ExecutorChoice | None) -> None:
        """Send ``routine``'s activations to the executor of ``choice`` (None: the flow's own)."""
        self.routed.choose(routine, choice)
        self._pick_submit()

    def forget_routine_executors(self) -> None:
        """Every routine runs on the flow's executor again (those started stop at ``shutdown``)."""
        self.routed.forget()
        self._pick_submit()

    def _pick_submit(self) -> None:
        # A flow whose routines all run on its own executor pays nothing per activation for the
        # choice: ``submit`` is then the class's method, else this instance's routing one.
        self._by_routine = bool(self.routed.choices)
        if self._by_routine:
            self.submit = self._submit_by_routine  # type: ignore[method-assign]
        else:
            self.__dict__.pop("submit", None)

    def shutdown(self, wait: bool = True) -> None:
        """Shut every executor of the flow down; the next activation starts them anew."""
        with self._executor_lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=wait)
        self.routed.shutdown(wait=wait)

    def submit(self, activation: Activation) -> None:
        """Hand ``activation`` to the executor that runs its routine."""
        executor = self._executor
        if executor is None:
            executor = self.executor()
        executor.submit(activation)

    def _submit_by_routine(self, activation: Activation) -> None:
        executor = self.routed.of(activation.slot.routine)
        if executor is None:
            Engine.submit(self, activation)
        else:
            executor.submit(activation)

    def dispatch(self, run: JobRun, activation: Activation) -> None:
        """Submit ``activation`` (its token taken), or hold it if its job is paused meanwhile."""
        if run.gate is None:
            self.submit(activation)
        else:
            self.control.hold(run, activation)

    def schedule(self, activation: Activation, delay: float) -> None:
        """Submit ``activation`` after ``delay`` seconds (a retry's back-off), on a timer thread."""
        if delay > 0:
            timer = threading.Timer(delay, self.submit, (activation,))
            timer.daemon = True
            timer.start()
        else:
            self.submit(activation)

    # -- jobs and names -----------------------------------------------------------------

    def begin_job(self, job: JobState) -> JobRun:
        """Start accounting for ``job``, holding one token for its entry handler."""
        run = JobRun(job)
        run.tokens.append(None)
        job.engine_run = run
        self.active.add(run)
        return run

    def track(self, job: JobState) -> JobRun:
        """The job's run, set up first for a job this engine did not start (emits with a foreign job)."""
        run = job.engine_run
        if run is None:
            with job.lock:
                run = job.engine_run
                if run is None:
                    run = JobRun(job)
                    # A record that was paused, cancelled or failed stays so for the work that reaches it.
                    run.gate = GATES.get(job.status)
                    job.engine_run = run
                    self.active.add(run)
        return run  # type: ignore[return-value]  # only engines set engine_run

    def release(self, run: JobRun) -> None:
        """Drop one token of the job; the last one finishes it."""
        tokens = run.tokens
        tokens.pop()
        if not tokens:
            self.control.finish(run)
        if run.gate == PAUSED:
            self.control.settle(run)

    def routine_id(self, routine: Any) -> str:
        """The routine's id in this flow (a routine outside the flow is known by its own ``_id``)."""
        return self.routine_ids.get(routine) or routine._id

    def name_of(self, slot: Slot) -> str:
        """``pay.input``: the slot named by its routine's id in the flow."""
        routine = slot.routine
        return f"{self.routine_id(routine)}.{slot.name}" if routine is not None else slot.name

    def tally(self, job: JobState, routine: Any) -> Tally:
        """The calling thread's tally of ``routine`` in ``job`` (created on first use)."""
        tally = job.tallies.by_thread.get(get_ident(), _NO_TALLIES).get(routine)
        return tally if tally is not None else self._new_tally(job, routine)

    def _new_tally(self, job: JobState, routine: Any) -> Tally:
        """A first tally of ``routine`` in ``job`` for the calling thread (the hot path's miss)."""
        if routine is None:
            return SCRATCH  # routine-less work (a resume's wake-up) counts for nobody
        return job.tallies.add(routine, self.routine_ids.get(routine) or routine._id)

    # -- the Router protocol ----------------------------------------------------------------

    def routine_id_of(self, routine: Any) -> str | None:
        return self.routine_ids.get(routine)

    def route(self, event: Event, data: dict[str, Any], job: JobState | None) -> None:
        """Queue one activation of every slot connected to ``event``."""
        slots = event.connected_slots
        now = _now()
        tracker = self.tracker
        if tracker is not None:
            # Compact on purpose (this runs per emit): the tracker names things when read.
            tracker.emit_log.append((now, event, slots[0] if slots else None, data))
        connections = self.connections
        if job is None:
            for slot in slots:
                self.submit(Activation(slot, data, connections.get((event, slot)), None))
            return
        journal: JobJournal | None = job.journal  # type: ignore[assignment]  # engines set only these
        emits = job.emit_log
        if emits is not None:
            routine_id = self.routine_ids.get(event.routine)
            if routine_id is not None:
                emits.append((now, routine_id, event.name, data))
                if journal is not None:
                    journal.effect("emit", [now, routine_id, event.name, data])
        if not slots:
            return
        run: JobRun | None = job.engine_run  # type: ignore[assignment]  # only engines set it
        if run is None:
            run = self.track(job)
        gate = run.gate
        if gate is not None and gate != PAUSED:
            return  # the job was cancelled or stopped: nothing of it runs any more
        tokens = run.tokens
        by_routine = self._by_routine
        shard = job.tallies.by_thread.get(get_ident(), _NO_TALLIES)
        children = None if journal is None else journal.collector()
        for slot in slots:
            tokens.append(None)
            routine = slot.routine
            tally = shard.get(routine)
            if tally is None:
                if shard is _NO_TALLIES or routine is None:
                    tally = self._new_tally(job, routine)
                    shard = job.tallies.by_thread.get(get_ident(), _NO_TALLIES)
                else:
                    # A routine's first activation in this job on this thread (every step of a
                    # long chain): the thread's own shard takes the tally, no lock (Tallies.add).
                    tally = shard[routine] = Tally(self.routine_ids.get(routine) or routine._id)
            tally.enqueued += 1
            activation = Activation(slot, data, connections.get((event, slot)), job)
            if children is not None:
                activation.seq = journal.next_seq()  # type: ignore[union-attr]
                children.append(activation)
            elif gate is None:
                # Engine.submit written out (one call less per activation). The executor is read
                # per activation, as there: one replaced meanwhile (set_execution_strategy) gets
                # none of the activations routed after the switch.
                executor = self._executor
                if executor is None or by_routine:
                    self.submit(activation)
                else:
                    executor.submit(activation)
            else:
                self.control.hold(run, activation)
        if children is not None:
            journal.spawned(children, self, run)  # type: ignore[union-attr]

    def report_slot_error(self, slot: Slot, data: dict[str, Any], error: Exception, job: JobState) -> None:
        """A handler failed in a direct ``Slot.receive(..., job_state=...)`` call."""
        self.failures.report_slot_error(slot, data, error, job)

    # -- running -----------------------------------------------------------------------

    def run(self, activation: Activation) -> None:
        """Run one activation in this thread (the executor's local path); never raises."""
        job = activation.job
        slot = activation.slot
        if job is None:
            self._run_jobless(activation)
            return
        run: JobRun = job.engine_run  # type: ignore[assignment]  # set when the activation was routed
        if run.gate is not None and not self.control.admit(run, activation):
            return
        routine = slot.routine
        tally = job.tallies.by_thread.get(get_ident(), _NO_TALLIES).get(routine)
        if tally is None:
            tally = self._new_tally(job, routine)
        tally.activations += 1
        if activation.attempt:
            tally.retries += 1
        journal: JobJournal | None = job.journal  # type: ignore[assignment]  # engines set only these
        # A slot of no routine (a resume's wake-up) changes nothing a recovery would replay.
        scope = None if journal is None or routine is None else journal.open(activation)
        failed = True
        try:
            data = activation.data
            connection = activation.connection
            if connection is not None and connection.param_mapping:
                data = connection._apply_mapping(data)
            if routine is not None:
                routine._current_flow = self.flow
            if journal is not None:
                merged = journal.merge(activation, data)
            elif slot.overrides:
                merged = slot._data = dict(data)  # the override merge, inlined: it runs per activation
            else:
                merged = slot.merge(data)
        except Exception as error:
            # Mapping and merge failures are task failures: no handler means STOP.
            tally.failed += 1
            if scope is not None:
                scope.error = error
            self.failures.failed(activation, error, default_stop=True)
        else:
            # Left set after the handler: an executor thread runs nothing but activations, each of
            # which sets its own job here (a set only when the job changes, no reset per call).
            if current_job_state.get() is not job:
                current_job_state.set(job)
            unpacked = slot.unpacked
            started = perf_counter()
            try:
                if unpacked is not None:
                    unpacked(**merged)
                else:
                    slot.invoke(merged)
            except Exception as error:
                tally.handler_seconds += perf_counter() - started
                tally.failed += 1
                logger.exception("Error in handler of %s", self.name_of(slot))
                if scope is not None:
                    scope.error = error
                self.failures.failed(activation, error, default_stop=False)
            else:
                tally.handler_seconds += perf_counter() - started
                tally.succeeded += 1
                failed = False
        if scope is not None:
            self.failures.end_durable(scope, failed, run)
        # release(run), inlined: this runs once per activation.
        tokens = run.tokens
        tokens.pop()
        if not tokens:
            self.control.finish(run)
        if run.gate == PAUSED:
            self.control.settle(run)

    def _run_jobless(self, activation: Activation) -> None:
        """An activation of no job (an emit outside any job): run it, nothing to account for."""
        slot, data, connection = activation.slot, activation.data, activation.connection
        if current_job_state.get() is not None:
            current_job_state.set(None)  # this thread's last activation was a job's (see run)
        try:
            if connection is not None and connection.param_mapping:
                data = connection._apply_mapping(data)
            if slot.routine is not None:
                slot.routine._current_flow = self.flow
            slot.invoke(slot.merge(data))
        except Exception:
            logger.exception("Error in handler of %s (no job)", self.name_of(slot))

    def prepare_remote(self, activation: Activation) -> RemoteCall | None:
        """Merge locally and describe the handler call for another process (see :mod:`.remote_runs`)."""
        return self.remote.prepare(activation)

    def finish_remote(self, activation: Activation, result: RemoteResult) -> None:
        """Count, route and settle what a remote run sent back (see :mod:`.remote_runs`)."""
        self.remote.finish(activation, result)

    # -- the entry ------------------------------------------------------------------------

    def run_entry(self, job: JobState, entry_id: str, routine: Any, params: dict[str, Any]) -> None:
        """Run the entry's ``trigger`` in this thread (see :mod:`.entry`); never raises."""
        run_entry(self, self.failures, job, entry_id, routine, params)
