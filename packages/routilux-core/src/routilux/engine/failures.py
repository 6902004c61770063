"""Failures of activations and of the entry: error strategies, retries, records and figures.

A failed activation is recorded in the job (an ``error`` record naming the
routine by its id in the flow) and handed to the routine's error handler (or
the flow's). The routine's figures count how the error ended:
``unhandled_errors`` when no strategy was in force, ``accepted_errors`` when
``continue``/``skip`` accepted it; a retry shows as the next activation's
``retries``.
"""

from __future__ import annotations

import time
from datetime import datetime
from time import perf_counter
from typing import TYPE_CHECKING, Any, final

from routilux.engine.activation import Activation
from routilux.engine.contracts import Scheduler
from routilux.engine.control import JobControl
from routilux.engine.journal import Scope, current_scope
from routilux.error_handler import ErrorAction, ErrorContext, ErrorDecision, ErrorHandler, apply_side_effects
from routilux.store import JournalEncodeError, StoreError

if TYPE_CHECKING:
    from routilux.engine.job_run import JobRun
    from routilux.job_state import JobState
    from routilux.slot import Slot

__all__ = ["Failures"]


@final
class Failures:
    """How a flow's engine settles failed activations and a failed entry."""

    def __init__(self, engine: Scheduler, control: JobControl) -> None:
        self.engine = engine
        self.control = control
        self.flow = engine.flow

    def failed(self, activation: Activation, error: BaseException, *, default_stop: bool) -> None:
        """Record and settle a failed activation (the failure is already counted as ``failed``).

        ``default_stop``: what happens under no strategy (True for mapping
        and merge failures: the job fails; False for a handler error: the job
        goes on, as in 0.10).
        """
        job, routine = activation.job, activation.slot.routine
        if job is None or routine is None:
            return
        engine, flow = self.engine, self.flow
        routine_id = engine.routine_id(routine)
        tally = engine.tally(job, routine)
        record = {"slot": activation.slot.name, "error": str(error), "error_type": type(error).__name__}
        handler: ErrorHandler | None = routine.get_error_handler() or flow.error_handler
        if handler is None:
            tally.unhandled_errors += 1
            job.record_execution(routine_id, "error", record)
            if default_stop:
                self.fail_routine(job, routine_id, error)
            return
        decision = handler.decide(
            error,
            ErrorContext(
                routine=routine, routine_id=routine_id, flow=flow, job_state=job, attempt=activation.attempt
            ),
        )
        if decision.action is ErrorAction.RETRY:
            job.record_execution(routine_id, "error", record)
            self.retry(activation, decision)
            return
        if default_stop:
            apply_side_effects(decision, error, routine_id, job)
        job.record_execution(routine_id, "error", record)
        if decision.action is ErrorAction.STOP:
            if decision.exhausted:
                job.record_execution(routine_id, "error", record)
            self.fail_routine(job, routine_id, error)
        else:
            tally.accepted_errors += 1

    def end_durable(self, scope: Scope, failed: bool, run: JobRun) -> None:
        """Write a durable activation's end record; if it cannot be written, the activation fails with why."""
        error = scope.journal.close(scope, failed, self.engine, run)
        if error is None:
            return
        activation, job = scope.activation, run.job
        if isinstance(error, StoreError):
            job.journal = None  # the store failed: the job fails with that error, unjournaled from here
            self.fail_routine(job, self.engine.routine_id(activation.slot.routine), error)
            return
        name = self.engine.name_of(activation.slot)
        problem = JournalEncodeError(f"the changes of activation {name} cannot be journaled: {error}")
        self.failed(activation, problem, default_stop=False)

    def fail_routine(self, job: JobState, routine_id: str, error: BaseException) -> None:
        job.update_routine_state(routine_id, {"status": "failed", "error": str(error)})
        self.control.stop(job)

    def retry(self, activation: Activation, decision: ErrorDecision) -> None:
        engine, job = self.engine, activation.job
        retry = activation.retried()
        if job is not None:
            engine.track(job).tokens.append(None)
            engine.tally(job, activation.slot.routine).enqueued += 1
            scope = current_scope()
            if scope is not None and scope.journal is job.journal:
                scope.retry = (retry, decision.delay)  # scheduled once the failure is journaled
                return
        engine.schedule(retry, decision.delay)

    def report_slot_error(self, slot: Slot, data: dict[str, Any], error: Exception, job: JobState) -> None:
        """A handler failed in a direct ``Slot.receive(..., job_state=...)`` call (outside the engine)."""
        tally = self.engine.tally(job, slot.routine)
        tally.enqueued += 1
        tally.activations += 1
        tally.failed += 1
        self.failed(Activation(slot, data, None, job), error, default_stop=False)

    # -- the entry ------------------------------------------------------------------------------

    def entry_failed(
        self, job: JobState, entry_id: str, routine: Any, params: dict[str, Any], error: Exception,
        began: float,
    ) -> None:
        """Settle a failed entry in the caller's thread (spec §7.2), retrying it when told to.

        ``began`` is the ``perf_counter()`` at which the entry's first attempt started (a
        retried entry that succeeds records the time since then as its ``execution_time``).
        """
        flow = self.flow
        tally = self.engine.tally(job, routine)
        handler: ErrorHandler | None = routine.get_error_handler() or flow.error_handler
        if handler is None:
            tally.unhandled_errors += 1
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
                tally.accepted_errors += 1
                job.update_routine_state(entry_id, {"status": "error_continued", "error": str(error)})
                return
            if decision.action is ErrorAction.SKIP:
                tally.accepted_errors += 1
                return
            if decision.action is not ErrorAction.RETRY or attempts >= handler.max_retries:
                break
            attempts += 1
            if decision.delay > 0:
                time.sleep(decision.delay)
            tally.enqueued += 1
            tally.activations += 1
            tally.retries += 1
            began = perf_counter()
            try:
                routine.get_slot("trigger").call_handler(params, propagate_exceptions=True)
            except Exception as again:
                tally.handler_seconds += perf_counter() - began
                tally.failed += 1
                error = again
                continue
            tally.handler_seconds += perf_counter() - began
            tally.succeeded += 1
            elapsed = perf_counter() - began
            job.update_routine_state(
                entry_id,
                {"status": "completed", "execution_time": elapsed, "retry_count": handler.retry_count},
            )
            job.record_execution(entry_id, "completed", {"execution_time": elapsed, "retried": True})
            if flow.execution_tracker is not None:
                flow.execution_tracker.record_routine_end(entry_id, "completed")
            return
        job.update_routine_state(
            entry_id, {"status": "failed", "error": str(error), "error_time": datetime.now().isoformat()}
        )
        job.record_execution(entry_id, "error", {"error": str(error), "error_type": type(error).__name__})
        self.control.stop(job)
