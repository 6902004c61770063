"""The per-flow runtime: routing, running activations, job accounting, errors.

An activation is the tuple ``(slot, data, connection, job_state, attempt)``.
Each job counts its units of work in flight (the entry handler and every
queued, running, retrying or held activation) with one token each in
``job_state._inflight``; the thread that removes the last token finishes the
job, so completion is immediate and per job, with no polling.

Gates: a job whose ``_gate`` is ``"paused"`` keeps its activations in
``job_state._held`` instead of running them; ``"cancelled"`` and ``"stopped"``
(failed) drop them.
"""

from __future__ import annotations

import logging
import threading
import time
import warnings
from datetime import datetime
from time import time as _now
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from routilux._context import _current_job_state
from routilux.engine.executor import Executor, RemoteCall, RemoteResult
from routilux.error_handler import ErrorAction, ErrorContext, ErrorDecision, ErrorHandler, apply_side_effects
from routilux.job_state import JobState

if TYPE_CHECKING:
    from routilux.connection import Connection
    from routilux.event import Event
    from routilux.slot import Slot

logger = logging.getLogger("routilux.engine")

Activation = Tuple["Slot", Dict[str, Any], Optional["Connection"], Optional[JobState], int]

_PAUSED = "paused"
_CANCELLED = "cancelled"
_STOPPED = "stopped"


class Engine:
    """Runs one flow's activations through its executor."""

    def __init__(self, flow: Any) -> None:
        self.flow = flow
        self._executor: Optional[Executor] = None
        self._executor_lock = threading.Lock()
        # Notified whenever work of a gated (paused) job ends or is held.
        self._gate_cond = threading.Condition()
        # Jobs with work in flight; set add/discard are atomic.
        self.active_jobs: "set[JobState]" = set()

    # -- executor ------------------------------------------------------------------

    def executor(self) -> Executor:
        executor = self._executor
        if executor is None:
            with self._executor_lock:
                executor = self._executor
                if executor is None:
                    executor = self.flow._create_executor()
                    executor.start(self)
                    self._executor = executor
        return executor

    def shutdown(self, wait: bool = True) -> None:
        with self._executor_lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=wait)

    def _submit(self, activation: Activation) -> None:
        executor = self._executor
        if executor is None:
            executor = self.executor()
        executor.submit(activation)

    # -- jobs -------------------------------------------------------------------------

    def begin_job(self, job: JobState) -> None:
        """Start accounting for ``job``, holding one token for its entry handler."""
        job._inflight = [None]
        job._final_token = [None]
        job._gate = None
        job._settled.clear()
        self.active_jobs.add(job)

    def _track(self, job: JobState) -> List[None]:
        """Accounting for a job this engine did not start (emits with a foreign job)."""
        if job._inflight is None:
            job._inflight = []
            job._final_token = [None]
            self.active_jobs.add(job)
        return job._inflight

    def release(self, job: JobState) -> None:
        """Drop one token of ``job``; the last one finishes the job."""
        inflight = job._inflight
        assert inflight is not None
        inflight.pop()
        if not inflight:
            try:
                job._final_token.pop()
            except IndexError:
                return  # another thread finished it
            job._finish()
            self.active_jobs.discard(job)
        if job._gate == _PAUSED:
            self._settle_pause(job)

    # -- routing -------------------------------------------------------------------------

    def route(self, event: "Event", data: Dict[str, Any], job: Optional[JobState]) -> None:
        """Queue one activation of every slot connected to ``event``."""
        flow = self.flow
        slots = event.connected_slots
        now = _now()
        tracker = flow.execution_tracker
        if tracker is not None:
            # Compact on purpose (this runs per emit): the tracker names things when read.
            tracker._events.append((now, event, slots[0] if slots else None, data))
        if job is None:
            connections = flow._event_slot_connections
            for slot in slots:
                self._submit((slot, data, connections.get((event, slot)), None, 0))
            return
        emits = job._emits
        if emits is not None:
            routine_id = flow._routine_ids.get(event.routine)
            if routine_id is not None:
                emits.append((now, routine_id, event.name, data))
        if not slots:
            return
        gate = job._gate
        if gate is not None and gate != _PAUSED:
            return  # the job was cancelled or stopped: nothing of it runs any more
        inflight = job._inflight
        if inflight is None:
            inflight = self._track(job)
        connections = flow._event_slot_connections
        submit = self._submit
        for slot in slots:
            inflight.append(None)
            activation = (slot, data, connections.get((event, slot)), job, 0)
            if gate is None:
                submit(activation)
            else:
                self._hold(job, activation)

    # -- running -----------------------------------------------------------------------

    def run(self, activation: Activation) -> None:
        """Run one activation in this thread (the executor's local path); never raises."""
        slot, data, connection, job, attempt = activation
        if job is not None and job._gate is not None and not self._admit(job, activation):
            return
        try:
            if connection is not None and connection.param_mapping:
                data = connection._apply_mapping(data)
            routine = slot.routine
            if routine is not None:
                routine._current_flow = self.flow
            merged = slot._merge(data)
        except Exception as error:
            # Mapping and merge failures are task failures: no handler means STOP.
            self._failed(activation, error, default_stop=True)
        else:
            token = _current_job_state.set(job)
            try:
                slot._invoke(merged)
            except Exception as error:
                logger.exception("Error in handler of %r", slot)
                self._failed(activation, error, default_stop=False)
            finally:
                _current_job_state.reset(token)
        if job is not None:
            self.release(job)

    def prepare_remote(self, activation: Activation) -> Optional[RemoteCall]:
        """Merge locally and describe the handler call for another process."""
        slot, data, connection, job, attempt = activation
        if job is not None and job._gate is not None and not self._admit(job, activation):
            return None
        try:
            if connection is not None:
                data = connection._apply_mapping(data)
            merged = slot._merge(data)
            if slot.routine is None:
                raise ValueError(f"{slot!r} has no routine to run remotely")
        except Exception as error:
            self._failed(activation, error, default_stop=True)
            if job is not None:
                self.release(job)
            return None
        return RemoteCall(routine=slot.routine, slot_name=slot.name, merged=merged)

    def finish_remote(self, activation: Activation, result: RemoteResult) -> None:
        """Route a remote activation's captured emits, then apply its error if any."""
        slot, data, connection, job, attempt = activation
        routine = slot.routine
        token = _current_job_state.set(job)
        try:
            for event_name, payload in result.emits:
                event = routine._events.get(event_name) if routine is not None else None
                if event is None:
                    logger.error("Remote %r emitted unknown event %r; dropped", routine, event_name)
                    continue
                self.route(event, payload, job)
            if result.error is not None:
                logger.error("Remote handler of %r failed:\n%s", slot, result.error_text or result.error)
                self._failed(activation, result.error, default_stop=False)
        finally:
            _current_job_state.reset(token)
            if job is not None:
                self.release(job)

    # -- gates: pause, cancel, stop --------------------------------------------------------

    def _admit(self, job: JobState, activation: Activation) -> bool:
        """Whether a gated job's activation may run now; otherwise hold or drop it."""
        gate = job._gate
        if gate is None:
            return True
        if gate == _PAUSED:
            self._hold(job, activation)
        else:
            self.release(job)
        return False

    def _hold(self, job: JobState, activation: Activation) -> None:
        job._held.append(activation)
        self._settle_pause(job)

    def _settle_pause(self, job: JobState) -> None:
        """Complete a pause once every unit of work of the job is held."""
        with self._gate_cond:
            if job._settled.is_set() or len(job._inflight or ()) != len(job._held):
                return
            job.pending_tasks = [self._describe(a) for a in list(job._held)]
            job._settled.set()
            self._gate_cond.notify_all()

    def pause(self, job: JobState, reason: str, checkpoint: Optional[Dict[str, Any]]) -> None:
        """Hold the job's work; returns once nothing of it runs (at once from inside its handlers).

        Called from a handler of the job itself, it cannot wait for that
        handler: the pause completes (``pending_tasks`` filled, waiters woken)
        when the handler returns and the job's queued work has been held.
        """
        job._gate = _PAUSED
        job._set_paused(reason, checkpoint)
        held, inflight = len(job._held), len(job._inflight or ())
        job.pause_points[-1].update(
            pending_tasks_count=held, active_tasks_count=inflight - held, queue_size=held
        )
        self._settle_pause(job)
        if _current_job_state.get() is not job:
            with self._gate_cond:
                self._gate_cond.wait_for(job._settled.is_set)

    def resume(self, job: JobState) -> None:
        held = job._held
        job._held = []
        inflight = self._track(job)
        # A job paused after it had finished runs again: arm its completion anew.
        job._final_token = [None]
        self.active_jobs.add(job)
        if not held and job.pending_tasks:
            held = self._restore(job, job.pending_tasks)
            for _ in held:
                inflight.append(None)
        job.pending_tasks = []
        if job._gate == _PAUSED:
            job._gate = None
            job._settled.clear()
        job._set_running()
        # Keep a token while resuming so the job cannot finish half-way.
        inflight.append(None)
        try:
            for activation in held:
                self._submit(activation)
            self._emit_deferred(job)
        finally:
            self.release(job)

    def _emit_deferred(self, job: JobState) -> None:
        deferred, job.deferred_events = job.deferred_events, []
        routines = self.flow.routines
        for entry in deferred:
            routine = routines.get(entry.get("routine_id"))
            event_name = entry.get("event_name")
            if routine is None or routine.get_event(event_name) is None:
                warnings.warn(
                    f"Deferred event {event_name!r} of {entry.get('routine_id')!r} not found; dropped",
                    stacklevel=3,
                )
                continue
            try:
                routine.emit(event_name, flow=self.flow, job_state=job, **(entry.get("data") or {}))
            except Exception as error:
                warnings.warn(f"Deferred event {event_name!r} failed: {error}", stacklevel=3)

    def cancel(self, job: JobState, reason: str) -> None:
        job._gate = _CANCELLED
        job._set_cancelled(reason)
        self._drop_held(job)
        job._settled.set()

    def _stop(self, job: JobState) -> None:
        """A failure ends the job: nothing of it runs any more."""
        job._gate = _STOPPED
        job.status = "failed"
        self._drop_held(job)
        job._settled.set()

    def _drop_held(self, job: JobState) -> None:
        held, job._held = job._held, []
        job.pending_tasks = []
        if job._inflight is not None:
            for _ in held:
                self.release(job)

    # -- pending activations as data (for pause/save/resume elsewhere) ------------------

    def _describe(self, activation: Activation) -> Dict[str, Any]:
        slot, data, connection, job, attempt = activation
        ids = self.flow._routine_ids
        source = connection.source_event if connection is not None else None
        return {
            "slot_routine_id": ids.get(slot.routine, getattr(slot.routine, "_id", None)),
            "slot_name": slot.name,
            "data": data,
            "connection_source_routine_id": (
                ids.get(source.routine, getattr(source.routine, "_id", None)) if source is not None else None
            ),
            "connection_source_event_name": source.name if source is not None else None,
            "connection_target_routine_id": (
                ids.get(slot.routine, getattr(slot.routine, "_id", None)) if connection is not None else None
            ),
            "connection_target_slot_name": slot.name if connection is not None else None,
            "param_mapping": dict(connection.param_mapping) if connection is not None else {},
            "priority": 2,
            "retry_count": attempt,
            "max_retries": 0,
            "created_at": None,
        }

    def _restore(self, job: JobState, described: List[Dict[str, Any]]) -> List[Activation]:
        flow = self.flow
        restored: List[Activation] = []
        for entry in described:
            routine = flow._resolve_routine(entry.get("slot_routine_id"))
            slot = routine.get_slot(entry.get("slot_name")) if routine is not None else None
            if slot is None:
                logger.warning("Pending activation of %s.%s cannot be restored: no such routine or slot",
                               entry.get("slot_routine_id"), entry.get("slot_name"))
                continue
            connection = None
            source = flow._resolve_routine(entry.get("connection_source_routine_id"))
            if source is not None:
                event = source.get_event(entry.get("connection_source_event_name"))
                if event is not None:
                    connection = flow._find_connection(event, slot)
            attempt = int(entry.get("retry_count") or 0)
            restored.append((slot, dict(entry.get("data") or {}), connection, job, attempt))
        return restored

    # -- failures ------------------------------------------------------------------------------

    def report_slot_error(self, slot: "Slot", data: Dict[str, Any], error: Exception, job: JobState) -> None:
        """A handler failed in a direct ``Slot.receive(..., job_state=...)`` call."""
        self._failed((slot, data, None, job, 0), error, default_stop=False)

    def _failed(self, activation: Activation, error: BaseException, *, default_stop: bool) -> None:
        slot, data, connection, job, attempt = activation
        routine = slot.routine
        if job is None or routine is None:
            return
        flow = self.flow
        # A routine outside this flow (a direct receive) is known by its own id.
        routine_id: str = flow._routine_ids.get(routine) or routine._id
        record = {"slot": slot.name, "error": str(error)}
        handler: Optional[ErrorHandler] = routine.get_error_handler() or flow.error_handler
        if handler is None:
            job.record_execution(routine_id, "error", record)
            if default_stop:
                self._fail_routine(job, routine_id, error)
            return
        decision = handler.decide(
            error,
            ErrorContext(routine=routine, routine_id=routine_id, flow=flow, job_state=job, attempt=attempt),
        )
        if decision.action is ErrorAction.RETRY:
            job.record_execution(routine_id, "error", record)
            self._retry(activation, decision)
            return
        if default_stop:
            apply_side_effects(decision, error, routine_id, job)
        job.record_execution(routine_id, "error", record)
        if decision.action is ErrorAction.STOP:
            if decision.exhausted:
                job.record_execution(routine_id, "error", record)
            self._fail_routine(job, routine_id, error)

    def _fail_routine(self, job: JobState, routine_id: str, error: BaseException) -> None:
        job.update_routine_state(routine_id, {"status": "failed", "error": str(error)})
        self._stop(job)

    def _retry(self, activation: Activation, decision: ErrorDecision) -> None:
        slot, data, connection, job, attempt = activation
        retry = (slot, data, connection, job, attempt + 1)
        if job is not None:
            inflight = job._inflight if job._inflight is not None else self._track(job)
            inflight.append(None)
        if decision.delay > 0:
            timer = threading.Timer(decision.delay, self._submit, (retry,))
            timer.daemon = True
            timer.start()
        else:
            self._submit(retry)

    # -- the entry routine ------------------------------------------------------------------------

    def run_entry(self, job: JobState, entry_id: str, routine: Any, params: Dict[str, Any]) -> None:
        """Run the entry's ``trigger`` in this thread; failures are settled here (never raised)."""
        flow = self.flow
        tracker = flow.execution_tracker
        started = datetime.now()
        token = _current_job_state.set(job)
        try:
            try:
                trigger = routine.get_slot("trigger")
                if trigger is None:
                    raise ValueError(
                        f"Entry routine '{entry_id}' must have a 'trigger' slot; "
                        f"it has slots {sorted(routine._slots)}"
                    )
                trigger.call_handler(params, propagate_exceptions=True)
            except Exception as error:
                self._entry_failed(job, entry_id, routine, params, error, started)
            else:
                job.update_routine_state(entry_id, {"status": "completed"})
        finally:
            _current_job_state.reset(token)
            self.release(job)
        if tracker is not None and job.status == "failed":
            message = job.routine_states.get(entry_id, {}).get("error")
            tracker.record_routine_end(entry_id, "failed", error=message)

    def _entry_failed(
        self, job: JobState, entry_id: str, routine: Any, params: Dict[str, Any], error: Exception,
        started: datetime,
    ) -> None:
        flow = self.flow
        handler: Optional[ErrorHandler] = routine.get_error_handler() or flow.error_handler
        attempts = 0
        while handler is not None:
            decision = handler.decide(
                error,
                ErrorContext(
                    routine=routine, routine_id=entry_id, flow=flow, job_state=job, attempt=attempts
                ),
            )
            apply_side_effects(decision, error, entry_id, job)
            # The job goes on and ends "completed" once its last activation is done.
            if decision.action is ErrorAction.CONTINUE:
                job.update_routine_state(entry_id, {"status": "error_continued", "error": str(error)})
                return
            if decision.action is ErrorAction.SKIP:
                return
            if decision.action is not ErrorAction.RETRY or attempts >= handler.max_retries:
                break
            attempts += 1
            if decision.delay > 0:
                time.sleep(decision.delay)
            try:
                routine.get_slot("trigger").call_handler(params, propagate_exceptions=True)
            except Exception as again:
                error = again
                continue
            elapsed = (datetime.now() - started).total_seconds()
            job.update_routine_state(
                entry_id,
                {"status": "completed", "execution_time": elapsed, "retry_count": handler.retry_count},
            )
            job.record_execution(entry_id, "completed", {"execution_time": elapsed, "retried": True})
            if flow.execution_tracker is not None:
                flow.execution_tracker.record_routine_end(entry_id, "completed")
            return
        job.status = "failed"
        job.update_routine_state(
            entry_id, {"status": "failed", "error": str(error), "error_time": datetime.now().isoformat()}
        )
        job.record_execution(entry_id, "error", {"error": str(error), "error_type": type(error).__name__})
        self._stop(job)
