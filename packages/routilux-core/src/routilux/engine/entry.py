"""A job's entry: the entry routine's ``trigger`` handler, run in the caller's thread by ``Flow.execute``.

The entry counts as one activation of its routine (its figures are in the job's
``routine_stats()``) and holds the job's first token until it returns, so a job
whose entry emits nothing completes when the entry ends. Failures are settled
here by the error handler (spec §7.2) and never raised.
"""

from __future__ import annotations

from time import perf_counter
from typing import TYPE_CHECKING, Any

from routilux.engine.activation import Activation
from routilux.engine.journal import JobJournal
from routilux.job_context import current_job_state

if TYPE_CHECKING:
    from routilux.engine.contracts import Scheduler
    from routilux.engine.failures import Failures
    from routilux.job_state import JobState

__all__ = ["run_entry"]


def run_entry(
    engine: Scheduler, failures: Failures, job: JobState, entry_id: str, routine: Any, params: dict[str, Any]
) -> None:
    """Run ``routine``'s ``trigger`` with ``params`` for ``job`` in this thread; never raises.

    Args:
        engine: the runtime (as :class:`~routilux.engine.contracts.Scheduler`: so this module
            does not import the runtime that calls it).
        failures: the runtime's failure handling, which settles an entry that raised.
    """
    run = engine.track(job)
    tracker = engine.flow.execution_tracker
    tally = engine.tally(job, routine)
    tally.enqueued += 1
    tally.activations += 1
    trigger = routine.get_slot("trigger")
    journal: JobJournal | None = job.journal  # type: ignore[assignment]  # engines set only these
    # A durable entry is activation 0 of its job: its changes and emits are its end record.
    scope = None
    if journal is not None and trigger is not None:
        scope = journal.open(Activation(trigger, params, None, job))
    token = current_job_state.set(job)
    began = perf_counter()
    try:
        try:
            if trigger is None:
                raise ValueError(
                    f"Entry routine '{entry_id}' must have a 'trigger' slot; "
                    f"it has slots {sorted(routine._slots)}"
                )
            trigger.call_handler(params, propagate_exceptions=True)
        except Exception as error:
            tally.handler_seconds += perf_counter() - began
            tally.failed += 1
            failures.entry_failed(job, entry_id, routine, params, error, began)
        else:
            tally.handler_seconds += perf_counter() - began
            tally.succeeded += 1
            job.update_routine_state(entry_id, {"status": "completed"})
    finally:
        current_job_state.reset(token)
        if scope is not None:
            failures.end_durable(scope, job.status == "failed", run)
        engine.release(run)
    if tracker is not None and job.status == "failed":
        message = job.routine_states.get(entry_id, {}).get("error")
        tracker.record_routine_end(entry_id, "failed", error=message)
