"""Job control: pause, resume, cancel, failure and completion of one job, through one state machine.

Every status change asks :func:`routilux.job_lifecycle.transition` first and is
made while holding the job's ``lock``, so pause, resume, cancel and the engine's
own completion can race on one job from any number of threads: each call sees
the status the previous one left, and a refused call changes nothing.

Gates: a job whose ``_gate`` is ``"paused"`` keeps its activations in
``job._held`` instead of running them; ``"cancelled"`` and ``"stopped"``
(failed) drop them. The hot path only reads the gate; activations are held
or dropped here, under the lock, so a resume can never miss one.
"""

from __future__ import annotations

import logging
import math
import threading
import warnings
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from routilux._context import _current_job_state
from routilux.job_lifecycle import COMPLETED, FAILED, transition
from routilux.job_state import JobState
from routilux.slot import Slot

if TYPE_CHECKING:
    from routilux.engine.runtime import Activation, Engine

logger = logging.getLogger("routilux.engine")

PAUSED = "paused"
CANCELLED = "cancelled"
STOPPED = "stopped"


def check_timeout(timeout: Any) -> float:
    """``timeout`` as seconds; a pause must never wait without bound.

    Raises:
        TypeError: not a number.
        ValueError: negative, infinite or NaN.
    """
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"timeout must be a number of seconds, got {type(timeout).__name__} {timeout!r:.80}")
    if not math.isfinite(timeout) or timeout < 0:
        raise ValueError(f"timeout must be a finite number of seconds >= 0, got {timeout!r}")
    return float(timeout)


class JobControl:
    """The status changes of a flow's jobs, for its :class:`~routilux.engine.runtime.Engine`."""

    def __init__(self, engine: "Engine") -> None:
        self.engine = engine
        # Carries the token a resume holds until the engine itself completes the job: the last
        # thing a resume submits, it runs (a no-op) on an executor thread, never in resume's caller.
        self.wake_slot = Slot("resume")

    # -- holding and dropping gated work --------------------------------------------------

    def admit(self, job: JobState, activation: "Activation") -> bool:
        """Whether a gated job's activation may run now; otherwise it is held or dropped here."""
        gate = job._gate
        if gate is None:
            return True
        if gate == PAUSED:
            self.hold(job, activation)
        else:
            self.drop(job, activation)
        return False

    def hold(self, job: JobState, activation: "Activation") -> None:
        """Keep ``activation`` for the resume (or run or drop it if the gate changed meanwhile)."""
        wake = activation[0] is self.wake_slot
        with job.lock:
            gate = job._gate
            if gate == PAUSED and not wake:
                job._held.append(activation)
                self._settle_locked(job)
                return
        if gate is None:
            self.engine.submit(activation)  # resumed meanwhile: it runs after all
        elif gate == PAUSED:
            self.engine.release(job)  # a resume's wake-up: its token is all it carries
        else:
            self.drop(job, activation)

    def drop(self, job: JobState, activation: "Activation") -> None:
        """Drop a queued activation of a cancelled or failed job unrun."""
        slot = activation[0]
        if slot is not self.wake_slot:
            self.engine.tally(job, slot.routine).dropped += 1
        self.engine.release(job)

    def _take_held_locked(self, job: JobState) -> List["Activation"]:
        held, job._held = job._held, []
        job.pending_tasks = []
        return held

    def _drop_all(self, job: JobState, held: List["Activation"]) -> None:
        if job._inflight is None:
            return
        for activation in held:
            self.drop(job, activation)

    # -- settling and completion ------------------------------------------------------------

    def settle(self, job: JobState) -> None:
        """Complete a pause once every unit of work of the job is held."""
        with job.lock:
            self._settle_locked(job)

    def _settle_locked(self, job: JobState) -> None:
        if job._gate != PAUSED or job._settled.is_set():
            return
        inflight = job._inflight
        if inflight is not None:
            if len(inflight) != len(job._held):
                return
            job.pending_tasks = [self.describe(a) for a in job._held]
        # else: nothing of it is in flight here (built by hand, or loaded): its description stays.
        job._settled.set()
        job._notify()

    def finish(self, job: JobState) -> None:
        """The job's last unit of work ended: the lifecycle's ``complete``."""
        with job.lock:
            if job._inflight or job._finished:
                return  # more work came in meanwhile, or another thread got here first
            job._finished = True
            if transition(job.job_id, job.status, "complete") == COMPLETED:
                job.status = FAILED if job._has_failed_routine() else COMPLETED
                job._touch()
            job._settled.set()
            job._notify()
            self.engine.active_jobs.discard(job)

    # -- the flow's calls ----------------------------------------------------------------------

    def pause(self, job: JobState, reason: str, checkpoint: Optional[Dict[str, Any]], timeout: float) -> bool:
        """Hold the job's work; True once nothing of it runs, False at ``timeout``.

        Called from a handler of the job itself, it cannot wait for that
        handler: it returns False at once, and the pause completes
        (``pending_tasks`` filled, waiters woken) when the handler returns
        and the job's queued work has been held.

        Raises:
            JobStatusError: (a ``ValueError``) the job's status allows no pause.
        """
        with job.lock:
            transition(job.job_id, job.status, "pause", in_flight_here=job._inflight is not None)
            job._gate = PAUSED
            job._set_paused(reason, checkpoint)
            held, inflight = len(job._held), len(job._inflight or ())
            job.pause_points[-1].update(
                pending_tasks_count=held, active_tasks_count=inflight - held, queue_size=held
            )
            self._settle_locked(job)
        if _current_job_state.get() is job:
            return False

        def settled_or_moot() -> bool:
            return job._settled.is_set() or job._gate != PAUSED

        with job.lock:
            changed = job._changed
            if changed is None:
                changed = job._changed = threading.Condition(job.lock)
            if not changed.wait_for(settled_or_moot, timeout):
                logger.warning("Pausing %r: work still running after %ss; held as it ends", job, timeout)
            return job._gate == PAUSED and job._settled.is_set()

    def resume(self, job: JobState) -> None:
        """Run a paused job's held (or described) work again; the engine completes it.

        Raises:
            JobStatusError: (a ``ValueError``) the job is failed, cancelled or a snapshot.
        """
        engine = self.engine
        restored: List["Activation"] = []
        with job.lock:
            live = job._inflight is not None
            if transition(job.job_id, job.status, "resume", in_flight_here=live) is None:
                return
            # A job read from storage: its pending work is queued here anew. Restoring comes
            # first, so a job whose work this flow cannot take is refused before anything changes.
            from_storage = not job._held and bool(job.pending_tasks)
            if from_storage:
                restored = self.restore(job, job.pending_tasks)
            held, job._held = job._held, []
            inflight = engine.track(job)
            if from_storage:
                job.tallies.forget_queued()
                for activation in restored:
                    engine.tally(job, activation[0].routine).enqueued += 1
                    inflight.append(None)
            job.pending_tasks = []
            deferred, job.deferred_events = job.deferred_events, []
            job._gate = None
            job._finished = False
            job._settled.clear()
            job._set_running()
            inflight.append(None)  # released by the wake-up below, on an executor thread
            engine.active_jobs.add(job)
            job._notify()
        for activation in held:
            engine.submit(activation)
        for activation in restored:
            engine.submit(activation)
        self.emit_deferred(job, deferred)
        engine.submit((self.wake_slot, {}, None, job, 0))

    def cancel(self, job: JobState, reason: str) -> None:
        """Make the job ``cancelled`` for good: its held and queued work is dropped."""
        with job.lock:
            live = job._inflight is not None
            if transition(job.job_id, job.status, "cancel", in_flight_here=live) is None:
                return
            job._gate = CANCELLED
            job._set_cancelled(reason)
            held = self._take_held_locked(job)
            job._settled.set()
            job._notify()
        self._drop_all(job, held)

    def stop(self, job: JobState) -> None:
        """A failure ends the job (the lifecycle's ``fail``): nothing of it runs any more."""
        with job.lock:
            if transition(job.job_id, job.status, "fail", in_flight_here=job._inflight is not None) is None:
                return  # cancelled, or already failed
            job._gate = STOPPED
            job.status = FAILED
            job._touch()
            held = self._take_held_locked(job)
            job._settled.set()
            job._notify()
        self._drop_all(job, held)

    def emit_deferred(self, job: JobState, deferred: List[Dict[str, Any]]) -> None:
        flow = self.engine.flow
        for entry in deferred:
            routine = flow.routines.get(entry.get("routine_id"))
            event_name = entry.get("event_name")
            if routine is None or routine.get_event(event_name) is None:
                warnings.warn(
                    f"Deferred event {event_name!r} of {entry.get('routine_id')!r} not found; dropped",
                    stacklevel=4,
                )
                continue
            try:
                routine.emit(event_name, flow=flow, job_state=job, **(entry.get("data") or {}))
            except Exception as error:
                warnings.warn(f"Deferred event {event_name!r} failed: {error}", stacklevel=4)

    # -- pending activations as data (for pause/save/resume elsewhere) ------------------

    def describe(self, activation: "Activation") -> Dict[str, Any]:
        slot, data, connection, job, attempt = activation
        ids = self.engine.flow._routine_ids
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

    def restore(self, job: JobState, described: List[Dict[str, Any]]) -> List["Activation"]:
        flow = self.engine.flow
        restored: List["Activation"] = []
        for entry in described:
            routine = flow._resolve_routine(entry.get("slot_routine_id"))
            slot = routine.get_slot(entry.get("slot_name")) if routine is not None else None
            if slot is None:
                # Dropping it would complete the job with that work never run.
                raise ValueError(
                    f"cannot resume job {job.job_id!r}: it holds a pending activation of "
                    f"{entry.get('slot_routine_id')!r}.{entry.get('slot_name')!r}, which names no routine "
                    f"or slot of flow {flow.flow_id!r} (its routines: {sorted(flow.routines)}); resume it "
                    "on the flow it was saved from"
                )
            connection = None
            source = flow._resolve_routine(entry.get("connection_source_routine_id"))
            if source is not None:
                event = source.get_event(entry.get("connection_source_event_name"))
                if event is not None:
                    connection = flow._find_connection(event, slot)
            attempt = int(entry.get("retry_count") or 0)
            restored.append((slot, dict(entry.get("data") or {}), connection, job, attempt))
        return restored
