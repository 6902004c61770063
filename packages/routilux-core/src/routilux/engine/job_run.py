"""A job's run in one engine: the bookkeeping the engine keeps beside the public JobState.

The engine counts each job's units of work in flight (its entry handler and
every queued, running, retrying or held activation) with one token each in
``tokens``; the thread that removes the last token finishes the job, so
completion is immediate and per job, with no polling. List ``append`` and
``pop`` are atomic, so counting takes no lock; the status changes around it
are made under the job's ``lock``.

``gate`` is None while the job runs freely; ``"paused"`` keeps its activations
in ``held``; ``"cancelled"`` and ``"stopped"`` (failed) drop them. The hot path
only reads the gate; activations are held or dropped by
:mod:`routilux.engine.control`, under the lock, so a resume never misses one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, final

if TYPE_CHECKING:
    from routilux.engine.activation import Activation
    from routilux.job_state import JobState

__all__ = ["CANCELLED", "GATES", "PAUSED", "STOPPED", "JobRun"]

PAUSED = "paused"
CANCELLED = "cancelled"
STOPPED = "stopped"

#: The gate a job's status implies when an engine first accounts for it.
GATES: dict[str, str] = {"paused": PAUSED, "cancelled": CANCELLED, "failed": STOPPED}


@final
class JobRun:
    """What one engine knows of one job while it accounts for it (``job.engine_run``).

    Attributes:
        job: the job.
        tokens: one entry per unit of work in flight.
        gate: None, ``"paused"``, ``"cancelled"`` or ``"stopped"``.
        held: the activations a pause keeps for the resume.
        settled: nothing of the job runs any more (it ended, or its pause completed);
            waiters on ``job.changed`` wake when it is set.
        finished: the engine has completed the job (until a resume).
    """

    __slots__ = ("job", "tokens", "gate", "held", "settled", "finished")

    def __init__(self, job: JobState) -> None:
        self.job = job
        self.tokens: list[None] = []
        self.gate: str | None = None
        self.held: list[Activation] = []
        self.settled = False
        self.finished = False

    def progress(self) -> tuple[int, int]:
        """``(held, in flight)``: what a waiter's progress callback is told."""
        return len(self.held), len(self.tokens)

    def __repr__(self) -> str:
        return f"JobRun({self.job!r}, in_flight={len(self.tokens)}, gate={self.gate!r})"
