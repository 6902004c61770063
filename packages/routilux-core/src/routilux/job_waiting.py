"""Waiting for a job: what ``JobState.wait_for_completion`` and ``wait_until_condition`` do.

Waiting is purely observational: the engine sets a job's status the moment its
last activation ends (or its pause completes), marks its run settled and
notifies ``job.changed``; a waiter only watches for that, never starts or runs
work. This module sits below :mod:`routilux.job_state` and sees a job only
through the :class:`WaitableJob` protocol.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from routilux.job_lifecycle import FINAL_STATUSES, SETTLED_STATUSES, SNAPSHOT, row_of

__all__ = ["EngineRun", "WaitableJob", "deadline_of", "wait_for_completion", "wait_until_condition"]

logger = logging.getLogger("routilux.job_state")

#: Seconds between two calls of a waiter's progress callback.
PROGRESS_INTERVAL = 5.0
#: The longest single wait on the job's condition: a deadline far off is waited for in steps
#: (one wait of 1e300 seconds overflows the platform's time_t).
LONGEST_WAIT = 3600.0

Progress = Callable[[int, int, str], None] | None


class EngineRun(Protocol):
    """What a waiter reads of the engine's run of a job (``routilux.engine.job_run.JobRun``)."""

    @property
    def settled(self) -> bool: ...

    def progress(self) -> tuple[int, int]: ...


class WaitableJob(Protocol):
    """The parts of a JobState a waiter reads."""

    status: str
    changed: threading.Condition
    engine_run: EngineRun | None


def deadline_of(timeout: Any) -> float | None:
    """The ``time.monotonic()`` deadline of ``timeout`` seconds from now; None to wait without one.

    ``None`` and ``math.inf`` wait for as long as it takes; a negative timeout has passed already.

    Raises:
        TypeError: ``timeout`` is not a number (``bool`` is not one).
        ValueError: ``timeout`` is NaN.
    """
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"timeout must be a number of seconds or None, got {timeout!r}")
    if math.isnan(timeout):
        raise ValueError(f"timeout must be a number of seconds or None, got {timeout!r}")
    if timeout == math.inf:
        return None
    return time.monotonic() + timeout


def _settled(job: WaitableJob) -> bool:
    run = job.engine_run
    return job.status in FINAL_STATUSES or (run is not None and run.settled)


def _report(job: WaitableJob, callback: Callable[[int, int, str], None]) -> None:
    run = job.engine_run
    held, in_flight = run.progress() if run is not None else (0, 0)
    callback(held, in_flight, job.status)


def wait_for_completion(job: WaitableJob, timeout: float | None, progress_callback: Progress) -> bool:
    """True once ``job`` is final or paused (and nothing of it runs), False at ``timeout``.

    Raises:
        TypeError, ValueError: ``timeout`` is not a number of seconds or None (see :func:`deadline_of`).
    """
    deadline = deadline_of(timeout)
    if _settled(job):
        return True
    if job.engine_run is None:  # no engine of this process accounts for the job
        status = job.status
        if status in SETTLED_STATUSES:
            return True
        if row_of(status, in_flight_here=False) == SNAPSHOT:
            logger.warning("%r is a snapshot of a running job; it cannot complete in this process", job)
            return False
    changed = job.changed
    while True:
        wait = LONGEST_WAIT
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                logger.warning("Timed out after %ss waiting for %r", timeout, job)
                return False
            wait = min(left, LONGEST_WAIT)
        if progress_callback is not None:
            wait = min(wait, PROGRESS_INTERVAL)
        with changed:
            if changed.wait_for(lambda: _settled(job), wait):
                return True
        if progress_callback is not None:
            _report(job, progress_callback)


def wait_until_condition(
    flow: Any,
    job: WaitableJob,
    condition: Callable[[Any, Any], bool],
    timeout: float | None,
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

    deadline = deadline_of(timeout)
    if isinstance(check_interval, bool) or not isinstance(check_interval, (int, float)) \
            or not 0 < check_interval < math.inf:
        raise ValueError(f"check_interval must be a positive number of seconds, got {check_interval!r}")
    last_progress = time.monotonic()
    changed = job.changed
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
            _report(job, progress_callback)
        with changed:
            changed.wait(check_interval)  # woken early by any change of the job's status
