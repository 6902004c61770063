"""An activation: one slot to run with one piece of data, for one job.

The engine creates one per connected slot of every emit and hands it to the
flow's executor, which only passes it back (``runner.run(activation)``); see
:mod:`routilux.engine.executors.base`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, final

if TYPE_CHECKING:
    from routilux.connection import Connection
    from routilux.job_state import JobState
    from routilux.slot import Slot

__all__ = ["Activation"]


@final
class Activation:
    """``slot`` receives ``data`` (as emitted, before the connection's mapping) for ``job``.

    Attributes:
        slot: the slot to run.
        data: the emitted payload; the connection's ``param_mapping`` is applied when it runs.
        connection: the connection it came through (None for a direct delivery or a wake-up).
        job: the job it belongs to (None for an emit outside any job).
        attempt: 0 for the first run, n for the n-th retry.
        seq: its number in a durable job's journal (0 otherwise, and for the entry): with the
            job's id, the activation's idempotency key, the same for every run of it
            (retries, and runs again after a crash).
    """

    __slots__ = ("slot", "data", "connection", "job", "attempt", "seq")

    def __init__(
        self, slot: Slot, data: dict[str, Any], connection: Connection | None, job: JobState | None,
        attempt: int = 0, seq: int = 0,
    ) -> None:
        self.slot = slot
        self.data = data
        self.connection = connection
        self.job = job
        self.attempt = attempt
        self.seq = seq

    def retried(self) -> Activation:
        """The same activation, one attempt later."""
        return Activation(self.slot, self.data, self.connection, self.job, self.attempt + 1, self.seq)

    def __repr__(self) -> str:
        job = self.job
        return f"Activation({self.slot!r}, attempt={self.attempt}, job={job.job_id if job else None})"
