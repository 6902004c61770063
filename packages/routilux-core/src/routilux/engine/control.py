"""Job control: pause, resume, cancel, failure and completion of one job, through one state machine.

Every status change asks :func:`routilux.job_lifecycle.transition` first and is
made while holding the job's ``lock``, so pause, resume, cancel and the engine's
own completion can race on one job from any number of threads: each call sees
the status the previous one left, and a refused call changes nothing.

A job the engine accounts for has a :class:`~routilux.engine.job_run.JobRun`
(``job.engine_run``); one without (built by hand, or loaded from storage) is a
record only, and "in flight here" in the lifecycle table means it has one.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, final

from routilux.engine.activation import Activation
from routilux.engine.contracts import Scheduler
from routilux.engine.job_run import CANCELLED, PAUSED, STOPPED, JobRun
from routilux.engine.journal import JobJournal
from routilux.engine.pending import describe, restore
from routilux.job_context import current_job_state
from routilux.job_lifecycle import COMPLETED, FAILED, transition
from routilux.job_stats import stats_to_data
from routilux.slot import Slot
from routilux.store import StoreError

if TYPE_CHECKING:
    from routilux.job_state import JobState

__all__ = ["JobControl", "check_timeout"]

logger = logging.getLogger("routilux.engine")

#: Seconds a completing durable job waits for its journal to be committed.
FINAL_FLUSH_SECONDS = 60.0


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


def _run_of(job: JobState) -> JobRun | None:
    return job.engine_run  # type: ignore[return-value]  # only engines set it


def journal_status(job: JobState, *, final: bool = False, figures: bool = False) -> None:
    """Append the job's new status to its journal, if it is durable (the caller holds ``job.lock``).

    With ``figures``, the job's per-routine figures go first (it has settled: see
    :func:`journal_figures`). A ``final`` status is also waited for until committed: a job
    is only ``completed`` once its whole journal is, so a store that failed on the way (the
    disk filled up) fails the job with that error.
    """
    journal = job.journal
    if not isinstance(journal, JobJournal):
        return
    try:
        if figures:
            journal.figures(stats_to_data(job.routine_stats()))
        journal.status(job.status)
        if final:
            journal.store.flush(FINAL_FLUSH_SECONDS)
    except StoreError as error:
        _unjournaled(job, error, final)


def journal_figures(job: JobState) -> None:
    """Journal the figures of a durable job that has settled (the caller holds ``job.lock``).

    Settled: nothing of the job runs (its last activation has ended, or its pause has
    completed), so the figures are those a reader of the journal may trust until the next
    activation ends (:func:`routilux.engine.recovery.replay`).
    """
    journal = job.journal
    if not isinstance(journal, JobJournal):
        return
    try:
        journal.figures(stats_to_data(job.routine_stats()))
    except StoreError as error:
        _unjournaled(job, error, final=False)


def _unjournaled(job: JobState, error: StoreError, final: bool) -> None:
    job.journal = None  # the store failed: unjournaled from here, and the job says so
    logger.error("%r: its store failed, the job is no longer journaled: %s", job, error)
    if final:
        job.status = FAILED
        job.routine_states["_journal"] = {"status": "failed", "error": str(error)}


@final
class JobControl:
    """The status changes of a flow's jobs, for its engine (a :class:`Scheduler`)."""

    def __init__(self, engine: Scheduler) -> None:
        self.engine = engine
        # Carries the token a resume holds until the engine itself completes the job: the last
        # thing a resume submits, it runs (a no-op) on an executor thread, never in resume's caller.
        self.wake_slot = Slot("resume")

    # -- holding and dropping gated work --------------------------------------------------

    def admit(self, run: JobRun, activation: Activation) -> bool:
        """Whether a gated job's activation may run now; otherwise it is held or dropped here."""
        gate = run.gate
        if gate is None:
            return True
        if gate == PAUSED:
            self.hold(run, activation)
        else:
            self.drop(run, activation)
        return False

    def hold(self, run: JobRun, activation: Activation) -> None:
        """Keep ``activation`` for the resume (or run or drop it if the gate changed meanwhile)."""
        wake = activation.slot is self.wake_slot
        with run.job.lock:
            gate = run.gate
            if gate == PAUSED and not wake:
                run.held.append(activation)
                self._settle_locked(run)
                return
        if gate is None:
            self.engine.submit(activation)  # resumed meanwhile: it runs after all
        elif gate == PAUSED:
            self.engine.release(run)  # a resume's wake-up: its token is all it carries
        else:
            self.drop(run, activation)

    def drop(self, run: JobRun, activation: Activation) -> None:
        """Drop a queued activation of a cancelled or failed job unrun."""
        slot = activation.slot
        if slot is not self.wake_slot:
            self.engine.tally(run.job, slot.routine).dropped += 1
        self.engine.release(run)

    def _take_held_locked(self, job: JobState, run: JobRun | None) -> list[Activation]:
        job.pending_tasks = []
        if run is None:
            return []
        held, run.held = run.held, []
        return held

    def _drop_all(self, run: JobRun | None, held: list[Activation]) -> None:
        if run is None:
            return
        for activation in held:
            self.drop(run, activation)

    # -- settling and completion ------------------------------------------------------------

    def settle(self, run: JobRun) -> None:
        """Complete a pause once every unit of work of the job is held."""
        with run.job.lock:
            self._settle_locked(run)

    def _settle_locked(self, run: JobRun) -> None:
        if run.gate != PAUSED or run.settled or len(run.tokens) != len(run.held):
            return
        job = run.job
        ids = self.engine.routine_ids
        job.pending_tasks = [describe(activation, ids) for activation in run.held]
        run.settled = True
        journal_figures(job)
        job.notify_changed()

    def finish(self, run: JobRun) -> None:
        """The job's last unit of work ended: the lifecycle's ``complete``."""
        job = run.job
        with job.lock:
            if run.tokens or run.finished:
                return  # more work came in meanwhile, or another thread got here first
            run.finished = True
            if transition(job.job_id, job.status, "complete") == COMPLETED:
                job.status = FAILED if job.has_failed_routine() else COMPLETED
                job.touch()
                journal_status(job, final=True, figures=True)
            else:
                journal_figures(job)  # failed or cancelled: its status was journaled as it ended
            run.settled = True
            job.notify_changed()
            self.engine.active.discard(run)

    # -- the flow's calls ----------------------------------------------------------------------

    def pause(self, job: JobState, reason: str, checkpoint: dict[str, Any] | None, timeout: float) -> bool:
        """Hold the job's work; True once nothing of it runs, False at ``timeout``.

        Called from a handler of the job itself, it cannot wait for that
        handler: it returns False at once, and the pause completes
        (``pending_tasks`` filled, waiters woken) when the handler returns
        and the job's queued work has been held.

        Raises:
            JobStatusError: (a ``ValueError``) the job's status allows no pause.
        """
        with job.lock:
            run = _run_of(job)
            transition(job.job_id, job.status, "pause", in_flight_here=run is not None)
            job.mark_paused(reason, checkpoint)
            journal_status(job)
            if run is None:
                # A record only: its pending work stays as described; a later emit with it is held.
                job.notify_changed()
                return True
            run.gate = PAUSED
            held, in_flight = len(run.held), len(run.tokens)
            job.pause_points[-1].update(
                pending_tasks_count=held, active_tasks_count=in_flight - held, queue_size=held
            )
            self._settle_locked(run)
            if current_job_state.get() is job:
                return False
            if timeout == 0:  # the caller waits (or not) itself: the pause is in force already
                return run.settled
            if not job.changed.wait_for(lambda: run.settled or run.gate != PAUSED, timeout):
                logger.warning("Pausing %r: work still running after %ss; held as it ends", job, timeout)
            return run.gate == PAUSED and run.settled

    def resume(self, job: JobState) -> None:
        """Run a paused job's held (or described) work again; the engine completes it.

        Raises:
            JobStatusError: (a ``ValueError``) the job is failed, cancelled or a snapshot.
        """
        engine = self.engine
        restored: list[Activation] = []
        with job.lock:
            run = _run_of(job)
            if transition(job.job_id, job.status, "resume", in_flight_here=run is not None) is None:
                return
            # A job read from storage: its pending work is queued here anew. Restoring comes
            # first, so a job whose work this flow cannot take is refused before anything changes.
            held_here = run is not None and bool(run.held)
            from_storage = not held_here and bool(job.pending_tasks)
            if from_storage:
                restored = restore(job, job.pending_tasks, engine.flow, engine.connections)
            run = engine.track(job)
            held, run.held = run.held, []
            if from_storage:
                self.count_requeued(job, restored)
                run.tokens.extend(None for _ in restored)
            job.pending_tasks = []
            deferred, job.deferred_events = job.deferred_events, []
            run.gate = None
            run.finished = False
            run.settled = False
            job.mark_running()
            journal_status(job)
            run.tokens.append(None)  # released by the wake-up below, on an executor thread
            engine.active.add(run)
            job.notify_changed()
        for activation in held:
            engine.submit(activation)
        for activation in restored:
            engine.submit(activation)
        self.emit_deferred(job, deferred)
        engine.submit(Activation(self.wake_slot, {}, None, job))

    def count_requeued(self, job: JobState, activations: list[Activation]) -> None:
        """Count as queued, once, the work of a job that came with figures (loaded or recovered).

        The figures' own ``queued`` may or may not have counted that work: it is dropped, and
        ``activations`` (what is queued here anew) are counted instead.
        """
        job.tallies.forget_queued()
        for activation in activations:
            self.engine.tally(job, activation.slot.routine).enqueued += 1

    def cancel(self, job: JobState, reason: str) -> None:
        """Make the job ``cancelled`` for good: its held and queued work is dropped."""
        self._end(job, "cancel", CANCELLED, lambda: job.mark_cancelled(reason))

    def stop(self, job: JobState) -> None:
        """A failure ends the job (the lifecycle's ``fail``): nothing of it runs any more."""
        self._end(job, "fail", STOPPED, lambda: job.mark_failed())

    def _end(self, job: JobState, action: str, gate: str, mark: Callable[[], None]) -> None:
        """End the job for good if the lifecycle lets ``action`` do it: mark it, drop its work."""
        with job.lock:
            run = _run_of(job)
            if transition(job.job_id, job.status, action, in_flight_here=run is not None) is None:
                return  # already ended (or cancelled, for a failure)
            mark()
            journal_status(job)
            held = self._take_held_locked(job, run)
            if run is not None:
                run.gate = gate
                run.settled = True
            job.notify_changed()
        self._drop_all(run, held)

    def emit_deferred(self, job: JobState, deferred: list[dict[str, Any]]) -> None:
        flow = self.engine.flow
        for entry in deferred:
            routine_id, event_name = entry.get("routine_id"), entry.get("event_name")
            routine = flow.routines.get(routine_id) if isinstance(routine_id, str) else None
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
