"""Failures of activations and of the entry: error strategies, retries, records and figures.

A failed activation is recorded in the job (an ``error`` record naming the
routine by its id in the flow) and handed to the routine's error handler (or
the flow's). The routine's figures count how the error ended:
``unhandled_errors`` when no strategy was in force, ``accepted_errors`` when
``continue``/``skip`` accepted it; a retry shows as the next activation's
``retries``.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from time import perf_counter
from typing import TYPE_CHECKING, Any, Dict, Optional

from routilux.error_handler import ErrorAction, ErrorContext, ErrorDecision, ErrorHandler, apply_side_effects
from routilux.job_state import JobState

if TYPE_CHECKING:
    from routilux.engine.runtime import Activation, Engine
    from routilux.slot import Slot


class Failures:
    """How a flow's engine settles failed activations and a failed entry."""

    def __init__(self, engine: "Engine") -> None:
        self.engine = engine
        self.flow = engine.flow

    def failed(self, activation: "Activation", error: BaseException, *, default_stop: bool) -> None:
        """Record and settle a failed activation (the failure is already counted as ``failed``).

        ``default_stop``: what happens under no strategy (True for mapping
        and merge failures: the job fails; False for a handler error: the job
        goes on, as in 0.10).
        """
        slot, data, connection, job, attempt = activation
        routine = slot.routine
        if job is None or routine is None:
            return
        engine, flow = self.engine, self.flow
        routine_id = engine.routine_id(routine)
        tally = engine.tally(job, routine)
        record = {"slot": slot.name, "error": str(error), "error_type": type(error).__name__}
        handler: Optional[ErrorHandler] = routine.get_error_handler() or flow.error_handler
        if handler is None:
            tally.unhandled_errors += 1
            job.record_execution(routine_id, "error", record)
            if default_stop:
                self.fail_routine(job, routine_id, error)
            return
        decision = handler.decide(
            error,
            ErrorContext(routine=routine, routine_id=routine_id, flow=flow, job_state=job, attempt=attempt),
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

    def fail_routine(self, job: JobState, routine_id: str, error: BaseException) -> None:
        job.update_routine_state(routine_id, {"status": "failed", "error": str(error)})
        self.engine.control.stop(job)

    def retry(self, activation: "Activation", decision: ErrorDecision) -> None:
        slot, data, connection, job, attempt = activation
        engine = self.engine
        retry = (slot, data, connection, job, attempt + 1)
        if job is not None:
            engine.track(job).append(None)
            engine.tally(job, slot.routine).enqueued += 1
        if decision.delay > 0:
            timer = threading.Timer(decision.delay, engine.submit, (retry,))
            timer.daemon = True
            timer.start()
        else:
            engine.submit(retry)

    def report_slot_error(self, slot: "Slot", data: Dict[str, Any], error: Exception, job: JobState) -> None:
        """A handler failed in a direct ``Slot.receive(..., job_state=...)`` call (outside the engine)."""
        tally = self.engine.tally(job, slot.routine)
        tally.enqueued += 1
        tally.activations += 1
        tally.failed += 1
        self.failed((slot, data, None, job, 0), error, default_stop=False)

    # -- the entry ------------------------------------------------------------------------------

    def entry_failed(
        self, job: JobState, entry_id: str, routine: Any, params: Dict[str, Any], error: Exception,
        started: datetime,
    ) -> None:
        """Settle a failed entry in the caller's thread (spec §7.2), retrying it when told to."""
        flow = self.flow
        tally = self.engine.tally(job, routine)
        handler: Optional[ErrorHandler] = routine.get_error_handler() or flow.error_handler
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
            elapsed = (datetime.now() - started).total_seconds()
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
        self.engine.control.stop(job)
