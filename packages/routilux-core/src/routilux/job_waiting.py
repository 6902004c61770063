"""Waiting for a job: what ``JobState.wait_for_completion`` and ``wait_until_condition`` do.

Waiting is purely observational: the engine sets a job's status the moment its
last activation ends (or its pause completes) and signals ``job._settled``; a
waiter only watches that signal, never starts or runs work.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any, Callable, Optional

from routilux.job_lifecycle import FINAL_STATUSES, SETTLED_STATUSES, SNAPSHOT, row_of

if TYPE_CHECKING:
    from routilux.job_state import JobState

__all__ = ["wait_for_completion", "wait_until_condition"]

logger = logging.getLogger("routilux.job_state")

#: Seconds between two calls of a waiter's progress callback.
PROGRESS_INTERVAL = 5.0

Progress = Optional[Callable[[int, int, str], None]]


def _progress(job: "JobState", callback: Callable[[int, int, str], None]) -> None:
    callback(len(job._held), len(job._inflight or ()), job.status)


def wait_for_completion(job: "JobState", timeout: Optional[float], progress_callback: Progress) -> bool:
    """True once ``job`` is final or paused (and nothing of it runs), False at ``timeout``."""
    if job._settled.is_set() or job.status in FINAL_STATUSES:
        return True
    if job._inflight is None:  # no engine of this process accounts for the job
        status = job.status
        if status in SETTLED_STATUSES:
            return True
        if row_of(status, in_flight_here=False) == SNAPSHOT:
            logger.warning("%r is a snapshot of a running job; it cannot complete in this process", job)
            return False
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        wait: Optional[float] = None
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0:
                logger.warning("Timed out after %ss waiting for %r", timeout, job)
                return False
        if progress_callback is not None:
            wait = PROGRESS_INTERVAL if wait is None else min(wait, PROGRESS_INTERVAL)
        if job._settled.wait(wait) or job.status in FINAL_STATUSES:
            return True
        if progress_callback is not None:
            _progress(job, progress_callback)


def wait_until_condition(
    flow: Any,
    job: "JobState",
    condition: Callable[[Any, "JobState"], bool],
    timeout: Optional[float],
    check_interval: float,
    progress_callback: Progress,
) -> bool:
    """Poll ``condition(flow, job)`` until it holds, the job ends, or ``timeout``."""

    def holds() -> bool:
        try:
            return bool(condition(flow, job))
        except Exception:
            logger.exception("Condition raised while waiting on %r", job)
            return False

    deadline = None if timeout is None else time.monotonic() + timeout
    last_progress = time.monotonic()
    while True:
        if holds():
            return True
        if job.status in FINAL_STATUSES:
            return holds()
        now = time.monotonic()
        if deadline is not None and now >= deadline:
            return False
        if progress_callback is not None and now - last_progress >= PROGRESS_INTERVAL:
            last_progress = now
            _progress(job, progress_callback)
        job._settled.wait(check_interval)
