"""The per-flow runtime: routing, running activations, job accounting and figures.

An activation is the tuple ``(slot, data, connection, job_state, attempt)``.
Each job counts its units of work in flight (the entry handler and every
queued, running, retrying or held activation) with one token each in
``job_state._inflight``; the thread that removes the last token finishes the
job, so completion is immediate and per job, with no polling.

Figures (``JobState.routine_stats()``): the thread that handles an activation
bumps its own :class:`~routilux.job_stats.Tally` for the routine: ``enqueued``
where it is routed, ``activations``, the outcome and the handler time where it
runs. With a remote executor the start is counted in :meth:`Engine.prepare_remote`
and the outcome and time come back in the :class:`RemoteResult`.

Pause, resume, cancel, failure and completion are in :mod:`routilux.engine.control`;
error strategies and retries in :mod:`routilux.engine.failures`.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from threading import get_ident
from time import perf_counter
from time import time as _now
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from routilux._context import _current_job_state
from routilux.engine.control import PAUSED, JobControl
from routilux.engine.executor import Executor, RemoteCall, RemoteResult
from routilux.engine.failures import Failures
from routilux.job_state import JobState
from routilux.job_stats import SCRATCH, Tally

if TYPE_CHECKING:
    from routilux.connection import Connection
    from routilux.event import Event
    from routilux.slot import Slot

logger = logging.getLogger("routilux.engine")

Activation = Tuple["Slot", Dict[str, Any], Optional["Connection"], Optional[JobState], int]

# What a thread with no tallies in a job finds: looked up, never written.
_NO_TALLIES: Dict[Any, Tally] = {}


class Engine:
    """Runs one flow's activations through its executor."""

    def __init__(self, flow: Any) -> None:
        self.flow = flow
        self._executor: Optional[Executor] = None
        self._executor_lock = threading.Lock()
        # Jobs with work in flight; set add/discard are atomic.
        self.active_jobs: "set[JobState]" = set()
        self.control = JobControl(self)
        self.failures = Failures(self)

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

    def submit(self, activation: Activation) -> None:
        executor = self._executor
        if executor is None:
            executor = self.executor()
        executor.submit(activation)

    # -- jobs and names -----------------------------------------------------------------

    def begin_job(self, job: JobState) -> None:
        """Start accounting for ``job``, holding one token for its entry handler."""
        job._inflight = [None]
        job._finished = False
        job._gate = None
        job._settled.clear()
        self.active_jobs.add(job)

    def track(self, job: JobState) -> List[None]:
        """The job's tokens, set up first for a job this engine did not start (emits with a foreign job)."""
        inflight = job._inflight
        if inflight is None:
            with job.lock:
                inflight = job._inflight
                if inflight is None:
                    inflight = job._inflight = []
                    job._finished = False
                    self.active_jobs.add(job)
        return inflight

    def release(self, job: JobState) -> None:
        """Drop one token of ``job``; the last one finishes the job."""
        inflight = job._inflight
        assert inflight is not None
        inflight.pop()
        if not inflight:
            self.control.finish(job)
        if job._gate == PAUSED:
            self.control.settle(job)

    def routine_id(self, routine: Any) -> str:
        """The routine's id in this flow (a routine outside the flow is known by its own ``_id``)."""
        return self.flow._routine_ids.get(routine) or routine._id  # type: ignore[no-any-return]

    def name_of(self, slot: "Slot") -> str:
        """``pay.input``: the slot named by its routine's id in the flow."""
        routine = slot.routine
        return f"{self.routine_id(routine)}.{slot.name}" if routine is not None else slot.name

    def tally(self, job: JobState, routine: Any) -> Tally:
        """The calling thread's tally of ``routine`` in ``job`` (created on first use)."""
        tally = job.tallies.by_thread.get(get_ident(), _NO_TALLIES).get(routine)
        return tally if tally is not None else self.new_tally(job, routine)

    def new_tally(self, job: JobState, routine: Any) -> Tally:
        """A first tally of ``routine`` in ``job`` for the calling thread (the hot path's miss)."""
        if routine is None:
            return SCRATCH  # routine-less work (a resume's wake-up) counts for nobody
        return job.tallies.add(routine, self.flow._routine_ids.get(routine) or routine._id)

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
                self.submit((slot, data, connections.get((event, slot)), None, 0))
            return
        emits = job._emits
        if emits is not None:
            routine_id = flow._routine_ids.get(event.routine)
            if routine_id is not None:
                emits.append((now, routine_id, event.name, data))
        if not slots:
            return
        gate = job._gate
        if gate is not None and gate != PAUSED:
            return  # the job was cancelled or stopped: nothing of it runs any more
        inflight = job._inflight
        if inflight is None:
            inflight = self.track(job)
        connections = flow._event_slot_connections
        submit = self.submit
        shard = job.tallies.by_thread.get(get_ident(), _NO_TALLIES)
        for slot in slots:
            inflight.append(None)
            tally = shard.get(slot.routine)
            if tally is None:
                tally = self.new_tally(job, slot.routine)
                shard = job.tallies.by_thread.get(get_ident(), _NO_TALLIES)
            tally.enqueued += 1
            activation = (slot, data, connections.get((event, slot)), job, 0)
            if gate is None:
                submit(activation)
            else:
                self.control.hold(job, activation)

    # -- running -----------------------------------------------------------------------

    def run(self, activation: Activation) -> None:
        """Run one activation in this thread (the executor's local path); never raises."""
        slot, data, connection, job, attempt = activation
        if job is None:
            self._run_jobless(slot, data, connection)
            return
        if job._gate is not None and not self.control.admit(job, activation):
            return
        routine = slot.routine
        tally = job.tallies.by_thread.get(get_ident(), _NO_TALLIES).get(routine)
        if tally is None:
            tally = self.new_tally(job, routine)
        tally.activations += 1
        if attempt:
            tally.retries += 1
        try:
            if connection is not None and connection.param_mapping:
                data = connection._apply_mapping(data)
            if routine is not None:
                routine._current_flow = self.flow
            merged = slot._merge(data)
        except Exception as error:
            # Mapping and merge failures are task failures: no handler means STOP.
            tally.failed += 1
            self.failures.failed(activation, error, default_stop=True)
        else:
            token = _current_job_state.set(job)
            started = perf_counter()
            try:
                slot._invoke(merged)
            except Exception as error:
                tally.handler_seconds += perf_counter() - started
                tally.failed += 1
                logger.exception("Error in handler of %s", self.name_of(slot))
                self.failures.failed(activation, error, default_stop=False)
            else:
                tally.handler_seconds += perf_counter() - started
                tally.succeeded += 1
            finally:
                _current_job_state.reset(token)
        # release(job), inlined: this runs once per activation.
        inflight = job._inflight
        assert inflight is not None
        inflight.pop()
        if not inflight:
            self.control.finish(job)
        if job._gate == PAUSED:
            self.control.settle(job)

    def _run_jobless(self, slot: "Slot", data: Dict[str, Any], connection: Optional["Connection"]) -> None:
        """An activation of no job (an emit outside any job): run it, nothing to account for."""
        try:
            if connection is not None and connection.param_mapping:
                data = connection._apply_mapping(data)
            if slot.routine is not None:
                slot.routine._current_flow = self.flow
            slot._invoke(slot._merge(data))
        except Exception:
            logger.exception("Error in handler of %s (no job)", self.name_of(slot))

    def prepare_remote(self, activation: Activation) -> Optional[RemoteCall]:
        """Merge locally and describe the handler call for another process."""
        slot, data, connection, job, attempt = activation
        tally: Optional[Tally] = None
        if job is not None:
            if slot is self.control.wake_slot:
                self.release(job)  # a resume's wake-up: nothing to run anywhere
                return None
            if job._gate is not None and not self.control.admit(job, activation):
                return None
            tally = self.tally(job, slot.routine)
            tally.activations += 1
            if attempt:
                tally.retries += 1
        try:
            if connection is not None:
                data = connection._apply_mapping(data)
            merged = slot._merge(data)
            if slot.routine is None:
                raise ValueError(f"slot {self.name_of(slot)!r} has no routine to run remotely")
        except Exception as error:
            if tally is not None:
                tally.failed += 1
            self.failures.failed(activation, error, default_stop=True)
            if job is not None:
                self.release(job)
            return None
        return RemoteCall(routine=slot.routine, slot_name=slot.name, merged=merged,
                          routine_id=self.flow._routine_ids.get(slot.routine))

    def finish_remote(self, activation: Activation, result: RemoteResult) -> None:
        """Count the outcome, route the captured emits, then apply the error if any."""
        slot, data, connection, job, attempt = activation
        routine = slot.routine
        if job is not None:
            tally = self.tally(job, routine)
            tally.handler_seconds += result.handler_seconds
            if result.error is None:
                tally.succeeded += 1
            else:
                tally.failed += 1
        token = _current_job_state.set(job)
        try:
            if result.outputs and job is not None:
                routine_id = self.routine_id(routine)
                for output_type, data in result.outputs:
                    job.send_output(routine_id, output_type, data)
            for event_name, payload in result.emits:
                event = routine._events.get(event_name) if routine is not None else None
                if event is None:
                    logger.error("Remote handler of %s emitted the unknown event %r; dropped",
                                 self.name_of(slot), event_name)
                    continue
                self.route(event, payload, job)
            if result.error is not None:
                logger.error("Remote handler of %s failed:\n%s", self.name_of(slot),
                             result.error_text or result.error)
                self.failures.failed(activation, result.error, default_stop=False)
        finally:
            _current_job_state.reset(token)
            if job is not None:
                self.release(job)

    def report_slot_error(self, slot: "Slot", data: Dict[str, Any], error: Exception, job: JobState) -> None:
        """A handler failed in a direct ``Slot.receive(..., job_state=...)`` call."""
        self.failures.report_slot_error(slot, data, error, job)

    # -- the entry routine ------------------------------------------------------------------------

    def run_entry(self, job: JobState, entry_id: str, routine: Any, params: Dict[str, Any]) -> None:
        """Run the entry's ``trigger`` in this thread; failures are settled here (never raised)."""
        tracker = self.flow.execution_tracker
        started = datetime.now()
        tally = self.tally(job, routine)
        tally.enqueued += 1
        tally.activations += 1
        token = _current_job_state.set(job)
        began = perf_counter()
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
                tally.handler_seconds += perf_counter() - began
                tally.failed += 1
                self.failures.entry_failed(job, entry_id, routine, params, error, started)
            else:
                tally.handler_seconds += perf_counter() - began
                tally.succeeded += 1
                job.update_routine_state(entry_id, {"status": "completed"})
        finally:
            _current_job_state.reset(token)
            self.release(job)
        if tracker is not None and job.status == "failed":
            message = job.routine_states.get(entry_id, {}).get("error")
            tracker.record_routine_end(entry_id, "failed", error=message)
