"""Per-job, per-routine figures kept by the engine: what ran, what failed, how long it took.

:class:`RoutineStats` is the public view (``JobState.routine_stats()``), one
per routine id of the flow. :class:`Tallies` is the counting side, held by
each :class:`~routilux.job_state.JobState` and bumped by the engine:

* Each thread that handles activations of a job counts into tallies of its
  own (one :class:`Tally` per routine and thread), so a bump is a plain ``+= 1``
  by the only thread that writes that tally: no lock, no lost update and
  nothing allocated per activation.
* A thread's first tally of a job is added under the Tallies' lock; its
  further tallies go into its own shard without one (only the owner writes a
  shard). A reader takes the lock to list the shards and copies each shard
  with ``dict.copy()``, one C call that cannot interleave with an insert.
* A reader adds the counters up in the reverse order of an activation's life
  (outcomes, then starts, then enqueues). Every counter only grows, so the sum
  is consistent: ``activations >= succeeded + failed`` and ``queued >= 0``.

This module is part of the object model: it knows nothing of the engine.
"""

from __future__ import annotations

import threading
import typing
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from routilux.serialization.values import non_negative, require_mapping

__all__ = ["COUNT_FIELDS", "SCRATCH", "RoutineStats", "Tallies", "Tally", "stats_from_data", "stats_to_data"]

#: The integer fields of :class:`RoutineStats`, in their documented order.
COUNT_FIELDS = (
    "activations", "succeeded", "failed", "retries", "unhandled_errors", "accepted_errors", "queued",
)


@typing.final
@attrs.frozen
class RoutineStats:
    """What the engine counted for one routine of one job.

    Attributes:
        routine_id: The routine's id in the flow (``"pay"``).
        activations: Handler invocations started, retries included.
        succeeded: Invocations that returned.
        failed: Invocations that raised (a failed parameter mapping or merge
            counts as a failed invocation too).
        retries: Invocations that were a retry of a failed one.
        unhandled_errors: Errors recorded with no error strategy in force
            (the 0.10 default for a slot handler: recorded, the job goes on).
        accepted_errors: Errors that a ``continue`` or ``skip`` strategy accepted.
        handler_seconds: Time spent inside the handler.
        queued: Activations waiting (queued, or held by a pause), not started.
    """

    routine_id: str
    activations: int = 0
    succeeded: int = 0
    failed: int = 0
    retries: int = 0
    unhandled_errors: int = 0
    accepted_errors: int = 0
    handler_seconds: float = 0.0
    queued: int = 0

    def to_data(self) -> dict[str, Any]:
        """The figures as plain data (without ``routine_id``, which keys them in a job's data)."""
        data: dict[str, Any] = {name: getattr(self, name) for name in COUNT_FIELDS}
        data["handler_seconds"] = self.handler_seconds
        return data

    @classmethod
    def from_data(cls, routine_id: str, data: Any, what: str) -> RoutineStats:
        """Read :meth:`to_data` output; missing figures are 0.

        Raises:
            TypeError: a figure is not a number (``bool`` is not one).
            ValueError: a figure is negative.
        """
        data = require_mapping(data, what)
        figures: dict[str, Any] = {}
        for name in COUNT_FIELDS:
            figures[name] = _figure(data, name, (int,), what)
        figures["handler_seconds"] = float(_figure(data, "handler_seconds", (int, float), what))
        return cls(routine_id, **figures)


def _figure(data: Mapping[str, Any], name: str, types: tuple[type, ...], what: str) -> Any:
    value = data.get(name, 0)
    if isinstance(value, bool) or not isinstance(value, types):
        kind = "an int" if types == (int,) else "a number"
        raise TypeError(f"{what}: field {name!r} must be {kind}, got {type(value).__name__} {value!r:.80}")
    return non_negative(value, name, what)


class Tally:
    """The counters of one routine in one job, written by one thread only (see the module docstring)."""

    __slots__ = (
        "routine_id", "enqueued", "dropped", "activations", "retries", "succeeded", "failed",
        "unhandled_errors", "accepted_errors", "handler_seconds",
    )

    def __init__(self, routine_id: str) -> None:
        self.routine_id = routine_id
        self.enqueued = 0  # activations queued (or held), each counted once
        self.dropped = 0  # queued activations dropped unrun (cancel, failure)
        self.activations = 0
        self.retries = 0
        self.succeeded = 0
        self.failed = 0
        self.unhandled_errors = 0
        self.accepted_errors = 0
        self.handler_seconds = 0.0

    def __repr__(self) -> str:
        return f"Tally[{self.routine_id}: {self.activations} started, {self.enqueued} queued]"


#: A tally for work that belongs to no routine; counted into, never read.
SCRATCH = Tally("")


class Tallies:
    """A job's tallies: per thread, per routine, plus the figures loaded with the job.

    ``by_thread`` maps ``threading.get_ident()`` to that thread's
    ``{routine: Tally}``. Only the owning thread reads or bumps its own tallies on
    the hot path; :meth:`add` is the one way to create a tally.
    """

    __slots__ = ("by_thread", "_base", "_lock")

    def __init__(self) -> None:
        self.by_thread: dict[int, dict[Any, Tally]] = {}
        self._base: dict[str, RoutineStats] = {}
        self._lock = threading.Lock()

    def add(self, key: Any, routine_id: str) -> Tally:
        """A new tally of ``key`` (a routine) for the calling thread, under ``routine_id``."""
        tally = Tally(routine_id)
        ident = threading.get_ident()
        shard = self.by_thread.get(ident)
        if shard is None:
            with self._lock:
                shard = self.by_thread.setdefault(ident, {})
        shard[key] = tally  # only this thread writes its shard
        return tally

    # -- reading ----------------------------------------------------------------------------

    def snapshot(self) -> dict[str, RoutineStats]:
        """The figures per routine id: the loaded ones plus everything counted here."""
        with self._lock:
            shards = list(self.by_thread.values())
            base = dict(self._base)
        # A shard's owner may add to it meanwhile: copy() takes it whole, in one C call.
        tallies = [tally for shard in shards for tally in shard.copy().values()]
        sums: dict[str, list[Any]] = {}
        # Outcomes first, then starts, then enqueues (see the module docstring).
        for tally in tallies:
            row = sums.get(tally.routine_id)
            if row is None:
                row = sums[tally.routine_id] = [0, 0, 0, 0, 0, 0, 0, 0.0, 0, 0]
            row[5] += tally.unhandled_errors
            row[6] += tally.accepted_errors
            row[7] += tally.handler_seconds
            row[1] += tally.succeeded
            row[2] += tally.failed
        for tally in tallies:
            row = sums[tally.routine_id]
            row[3] += tally.retries
            row[0] += tally.activations
            row[8] += tally.dropped
        for tally in tallies:
            sums[tally.routine_id][9] += tally.enqueued
        out: dict[str, RoutineStats] = {}
        for routine_id in [*base, *(rid for rid in sums if rid not in base)]:
            if not routine_id:
                continue  # SCRATCH-like tallies of routine-less work
            loaded = base.get(routine_id) or RoutineStats(routine_id)
            row = sums.get(routine_id) or [0, 0, 0, 0, 0, 0, 0, 0.0, 0, 0]
            out[routine_id] = RoutineStats(
                routine_id,
                activations=loaded.activations + row[0],
                succeeded=loaded.succeeded + row[1],
                failed=loaded.failed + row[2],
                retries=loaded.retries + row[3],
                unhandled_errors=loaded.unhandled_errors + row[5],
                accepted_errors=loaded.accepted_errors + row[6],
                handler_seconds=loaded.handler_seconds + row[7],
                queued=loaded.queued + row[9] - row[0] - row[8],
            )
        return out

    # -- loading ------------------------------------------------------------------------------

    def load(self, stats: Iterable[RoutineStats]) -> None:
        """Start over from ``stats`` (a job read from storage): nothing counted here yet."""
        base = {item.routine_id: item for item in stats}
        with self._lock:
            self.by_thread = {}
            self._base = base

    def forget_queued(self) -> None:
        """The loaded ``queued`` figures are void: the job's pending work is being re-queued here."""
        with self._lock:
            self._base = {rid: attrs.evolve(item, queued=0) for rid, item in self._base.items()}


def stats_to_data(stats: Mapping[str, RoutineStats]) -> dict[str, dict[str, Any]]:
    """``{routine_id: figures}`` as a job's serialized form holds them."""
    return {routine_id: item.to_data() for routine_id, item in stats.items()}


def stats_from_data(data: Any, what: str) -> list[RoutineStats]:
    """Read :func:`stats_to_data` output (``None``/absent: no figures, as in files before 0.11)."""
    if data is None:
        return []
    data = require_mapping(data, what)
    out = []
    for routine_id, figures in data.items():
        if not isinstance(routine_id, str):
            raise TypeError(f"{what}: routine ids must be strings, got {routine_id!r:.80}")
        out.append(RoutineStats.from_data(routine_id, figures, f"{what}[{routine_id!r}]"))
    return out
