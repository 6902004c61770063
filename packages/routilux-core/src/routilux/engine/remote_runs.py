"""The remote half of running activations: what the engine does before and after another process runs one.

An executor that runs handlers elsewhere (routilux-dask) calls
``runner.prepare_remote(activation)`` here, ships the :class:`RemoteCall`,
and brings the :class:`RemoteResult` back to ``runner.finish_remote``; see
:mod:`routilux.engine.executors.base` for the contract.
"""

from __future__ import annotations

import copy
import logging
from typing import TYPE_CHECKING, final

from routilux.engine.activation import Activation
from routilux.engine.contracts import Scheduler
from routilux.engine.control import JobControl
from routilux.engine.failures import Failures
from routilux.engine.journal import JobJournal
from routilux.engine.remote import RemoteCall, RemoteResult
from routilux.job_context import current_job_state
from routilux.job_stats import Tally

if TYPE_CHECKING:
    from routilux.engine.job_run import JobRun
    from routilux.job_state import JobState

__all__ = ["RemoteRuns"]

logger = logging.getLogger("routilux.engine")


@final
class RemoteRuns:
    """Prepares activations for another process and settles what comes back, for one engine."""

    def __init__(self, engine: Scheduler, control: JobControl, failures: Failures) -> None:
        self.engine = engine
        self.control = control
        self.failures = failures

    def prepare(self, activation: Activation) -> RemoteCall | None:
        """Merge locally and describe the handler call for another process."""
        slot, job = activation.slot, activation.job
        run: JobRun | None = None
        tally: Tally | None = None
        if job is not None:
            run = self.engine.track(job)
            if slot is self.control.wake_slot:
                self.engine.release(run)  # a resume's wake-up: nothing to run anywhere
                return None
            if run.gate is not None and not self.control.admit(run, activation):
                return None
            tally = self.engine.tally(job, slot.routine)
            tally.activations += 1
            if activation.attempt:
                tally.retries += 1
        journal = _journal_of(activation)
        try:
            data, connection = activation.data, activation.connection
            if connection is not None:
                data = connection._apply_mapping(data)
            if slot.routine is None:
                raise ValueError(f"slot {self.engine.name_of(slot)!r} has no routine to run remotely")
            # A durable job's stateful slot records its merge here, where the job lives.
            merged = journal.merge(activation, data) if journal is not None else slot.merge(data)
            if not slot.overrides:
                # An append (or custom) merge hands out the slot's own lists, which the next
                # merges extend: the call carries them as they are now, however late it is shipped.
                merged = copy.deepcopy(merged)
        except Exception as error:
            if tally is not None:
                tally.failed += 1
            scope = journal.open(activation) if journal is not None else None
            if scope is not None:
                scope.error = error
            self.failures.failed(activation, error, default_stop=True)
            if run is not None:
                if scope is not None:
                    self.failures.end_durable(scope, True, run)
                self.engine.release(run)
            return None
        return RemoteCall(routine=slot.routine, slot_name=slot.name, merged=merged,
                          routine_id=self.engine.routine_ids.get(slot.routine))

    def finish(self, activation: Activation, result: RemoteResult) -> None:
        """Count the outcome, apply what the handler sent to the job, route its emits, then its error.

        For a durable job this is the activation's journal scope, as a local run's handler
        call is: its changes and emits go into its end record, written last.
        """
        slot, job = activation.slot, activation.job
        routine = slot.routine
        if job is not None:
            tally = self.engine.tally(job, routine)
            tally.handler_seconds += result.handler_seconds
            if result.error is None:
                tally.succeeded += 1
            else:
                tally.failed += 1
        journal = _journal_of(activation)
        scope = journal.open(activation) if journal is not None else None
        token = current_job_state.set(job)
        try:
            if job is not None and (result.outputs or result.deferred or result.states):
                _apply_to_job(job, self.engine.routine_id(routine), result)
            for event_name, payload in result.emits:
                event = routine._events.get(event_name) if routine is not None else None
                if event is None:
                    logger.error("Remote handler of %s emitted the unknown event %r; dropped",
                                 self.engine.name_of(slot), event_name)
                    continue
                self.engine.route(event, payload, job)
            if result.error is not None:
                logger.error("Remote handler of %s failed:\n%s", self.engine.name_of(slot),
                             result.error_text or result.error)
                if scope is not None:
                    scope.error, scope.traceback = result.error, result.error_text
                self.failures.failed(activation, result.error, default_stop=False)
        finally:
            current_job_state.reset(token)
            if job is not None:
                run = self.engine.track(job)
                if scope is not None:
                    self.failures.end_durable(scope, result.error is not None, run)
                self.engine.release(run)


def _journal_of(activation: Activation) -> JobJournal | None:
    """The journal of the activation's job, if the job is durable and the slot is a routine's."""
    job = activation.job
    journal = job.journal if job is not None else None
    if isinstance(journal, JobJournal) and activation.slot.routine is not None:
        return journal
    return None


def _apply_to_job(job: JobState, routine_id: str, result: RemoteResult) -> None:
    """Apply to the job what a remote handler sent it: outputs, deferred events, routine states."""
    for output_type, data in result.outputs:
        job.send_output(routine_id, output_type, data)
    for deferred_routine, event_name, data in result.deferred:
        job.add_deferred_event(deferred_routine, event_name, data)
    for state_routine, state in result.states:
        job.update_routine_state(state_routine, state)
