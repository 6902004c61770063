"""The journal of a durable job: what the engine writes to the job's store as the job runs.

Records, in the order they are appended (a store commits a prefix of that order):

* ``("merged", seq, None)``: activation ``seq`` merged its data into a slot
  that keeps state (``append`` or a custom strategy), at this point of the
  slot's merge order. Replaying the merges in journal order rebuilds the
  slot's data and the value each handler was given.
* ``("done" | "failed", seq, payload)``: the activation ended. ``payload``
  holds its ``effects`` (every change of the JobState it made, in order), its
  ``children`` (the activations its emits queued: ``[seq, routine_id, slot,
  data, source_routine_id, source_event]``) and, for a failure that will be
  retried, ``retry`` (the next attempt); for a handler that raised,
  ``traceback`` (the formatted exception, for the monitor's log). Children are submitted only after
  this record is appended, so no record of a child precedes its parent's.
* ``("spawn", 0, children)``: activations queued outside any activation of
  the job (an emit from the caller's thread, a resume's deferred events).
* ``("effect", 0, [kind, payload])``: a change made outside any activation.
* ``("status", 0, status)``: the job's status changed.
* ``("effect", 0, ["stats", figures])``: the job's per-routine figures
  (``stats_to_data(job.routine_stats())``) once it has settled: when its last
  activation has ended (before a ``completed`` status record; after the
  ``failed`` or ``cancelled`` one, once the work in flight has ended) and when
  a pause has completed.

A change is attributed to the activation running on the calling thread
(:class:`Scope`), so a job's recorded state holds exactly the effects of the
activations whose end was committed: :mod:`routilux.engine.recovery` replays
them, and re-runs the rest (handler side effects are at-least-once).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from traceback import format_exception
from typing import TYPE_CHECKING, Any, final

from routilux.engine.activation import Activation
from routilux.store import StoreError

if TYPE_CHECKING:
    from routilux.engine.contracts import Scheduler
    from routilux.engine.job_run import JobRun

__all__ = ["JobJournal", "Scope", "activation_key", "current_scope"]

_local = threading.local()
_MISSING = object()


#: The JobState method behind each kind of change (routilux.job_effects), for messages.
_CHANGES = {
    "state": "update_routine_state", "shared": "update_shared_data", "shared_log": "append_to_shared_log",
    "output": "send_output", "record": "record_execution", "emit": "emit", "deferred": "add_deferred_event",
}


def _key(kind: str, payload: Any) -> Any:
    """What the change is about: the routine id, key, output type or event name."""
    if kind in ("state", "shared"):
        return payload[0]
    if kind == "output":
        return payload.get("output_type")
    if kind == "record":
        return payload[1]
    if kind == "emit":
        return payload[2]
    if kind == "deferred":
        return payload.get("event_name")
    return ""


def current_scope() -> Scope | None:
    """The durable activation running on this thread, if any."""
    return getattr(_local, "scope", None)


def activation_key() -> tuple[str, int] | None:
    """``(job_id, seq)`` of the durable activation whose handler calls this, else None.

    The key is the same for every run of one activation (a retry, or a run
    again after a crash), so a handler with side effects outside routilux
    (a payment, an e-mail) can use it to do them once.
    """
    scope = current_scope()
    return None if scope is None else (scope.journal.job_id, scope.activation.seq)


@final
class Scope:
    """One durable activation while it runs: what it changed and queued, collected for its end record."""

    __slots__ = ("journal", "activation", "previous", "effects", "children", "retry", "error", "traceback")

    def __init__(self, journal: JobJournal, activation: Activation, previous: Scope | None) -> None:
        self.journal = journal
        self.activation = activation
        self.previous = previous
        self.effects: list[list[Any]] = []
        self.children: list[Activation] = []
        self.retry: tuple[Activation, float] | None = None
        #: What the handler (or the merge) raised, for the end record's traceback.
        self.error: BaseException | None = None
        #: The traceback as text where it was formatted elsewhere (a handler run in another process).
        self.traceback: str | None = None


@final
class JobJournal:
    """The journal of one durable job in this process (``job.journal``).

    Args:
        store: the job's :class:`~routilux.store.DurableStore`.
        job_id: the job.
        next_seq: the first activation number to hand out (1 for a new job; after
            the highest recorded one for a recovered job).
        on_status: told ``(job_id, status)`` after each status record.
    """

    __slots__ = ("store", "job_id", "premerged", "keeps_figures", "_on_status", "_seqs", "_merge_lock")

    def __init__(
        self, store: Any, job_id: str, next_seq: int = 1,
        on_status: Callable[[str, str], None] | None = None,
    ) -> None:
        self.store = store
        self.job_id = job_id
        self._on_status = on_status
        #: Merged values of activations whose merge is recorded but whose end is not (after a recovery).
        self.premerged: dict[int, Any] = {}
        #: Whether the job's figures here count all it ran (False for a job recovered with none
        #: current: they would leave out what ran before the crash, so none are journaled).
        self.keeps_figures = True
        self._seqs = itertools.count(next_seq)
        # A stateful slot's merge and its "merged" record are one step, so the journal's merge
        # order is the slot's.
        self._merge_lock = threading.Lock()

    def next_seq(self) -> int:
        return next(self._seqs)

    def append(self, kind: str, seq: int, payload: Any) -> None:
        self.store.append(self.job_id, kind, seq, payload)

    # -- the EffectLog protocol of JobState ------------------------------------------------

    def effect(self, kind: str, payload: Any) -> None:
        """A change of the job: part of the running activation's end record, else a record of its own."""
        scope = current_scope()
        if scope is not None and scope.journal is self:
            scope.effects.append([kind, payload])  # lists: a tuple would need a tag in the payload
        else:
            self.append("effect", 0, [kind, payload])

    def status(self, status: str) -> None:
        self.append("status", 0, status)
        if self._on_status is not None:
            self._on_status(self.job_id, status)

    def figures(self, figures: dict[str, Any]) -> None:
        """The settled job's per-routine figures (``stats_to_data`` form), a record of their own."""
        if self.keeps_figures:
            self.append("effect", 0, ["stats", figures])

    # -- one activation ----------------------------------------------------------------------

    def open(self, activation: Activation) -> Scope:
        scope = Scope(self, activation, current_scope())
        _local.scope = scope
        return scope

    def merge(self, activation: Activation, data: dict[str, Any]) -> Any:
        """The value the handler gets: recorded before a crash, else merged (and recorded) now."""
        merged = self.premerged.pop(activation.seq, _MISSING)
        if merged is not _MISSING:
            return merged
        slot = activation.slot
        strategy = slot.merge_strategy
        if strategy != "append" and not callable(strategy):
            return slot.merge(data)  # override keeps no state between merges: nothing to replay
        with self._merge_lock:
            merged = slot.merge(data)
            self.append("merged", activation.seq, None)
        return merged

    def collector(self) -> list[Activation]:
        """Where activations routed now go: the running activation's children, else a new list."""
        scope = current_scope()
        if scope is not None and scope.journal is self:
            return scope.children
        return []

    def spawned(self, children: list[Activation], engine: Scheduler, run: JobRun) -> None:
        """Activations queued outside any activation of the job: record them, then send them on."""
        scope = current_scope()
        if scope is not None and scope.journal is self and children is scope.children:
            return  # sent on when the activation ends
        if children:
            self.append("spawn", 0, [self._describe(child, engine) for child in children])
            for child in children:
                engine.dispatch(run, child)

    def close(self, scope: Scope, failed: bool, engine: Scheduler, run: JobRun) -> Exception | None:
        """End ``scope``: append its record, then send its children and retry on.

        Returns the error that kept the record from being written (the payload
        could not be encoded, or the store failed), else None; the caller fails
        the activation with it. Its children are then dropped, not run.
        """
        _local.scope = scope.previous
        payload: dict[str, Any] = {}
        if scope.effects:
            payload["effects"] = scope.effects
        if scope.children:
            payload["children"] = [self._describe(child, engine) for child in scope.children]
        if scope.retry is not None:
            payload["retry"] = scope.retry[0].attempt
        error = scope.error
        if scope.traceback is not None:
            payload["traceback"] = scope.traceback
        elif error is not None:
            payload["traceback"] = "".join(format_exception(type(error), error, error.__traceback__))
        seq = scope.activation.seq
        try:
            self.append("failed" if failed or scope.retry is not None else "done", seq, payload)
        except (TypeError, ValueError, StoreError) as error:
            failure: Exception = error
            if not isinstance(error, StoreError):
                failure = self._explain(scope, error)
                try:
                    self.append("failed", seq, {"error": f"{type(failure).__name__}: {failure}"})
                except StoreError as store_error:
                    failure = store_error
            for _child in scope.children:
                engine.release(run)
            if scope.retry is not None:
                engine.release(run)
            return failure
        for child in scope.children:
            engine.dispatch(run, child)
        if scope.retry is not None:
            engine.schedule(*scope.retry)
        return None

    def _explain(self, scope: Scope, error: Exception) -> Exception:
        """The refused change by name (``update_shared_data('k')``...), checked one by one."""
        checks = [(f"{_CHANGES.get(kind, kind)}({_key(kind, p)!r})", p) for kind, p in scope.effects]
        checks += [(f"the emit to {child.slot.name!r}", child.data) for child in scope.children]
        for what, payload in checks:
            try:
                self.store.check_payload(payload, what)
            except (TypeError, ValueError) as refused:
                return refused
        return error

    def _describe(self, child: Activation, engine: Scheduler) -> list[Any]:
        connection = child.connection
        source = connection.source_event if connection is not None else None
        return [
            child.seq, engine.routine_id(child.slot.routine), child.slot.name, child.data,
            engine.routine_id(source.routine) if source is not None else None,
            source.name if source is not None else None,
        ]
