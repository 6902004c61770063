"""What a job's journal says, folded record by record: per-routine counts, the event log, the state.

A :class:`JobView` reads nothing but the committed journal of a durable job
(``store.records(job_id)``, see :mod:`routilux.engine.journal`), so the view
of a finished job is complete without the process that ran it, and the
monitor never touches a running job's engine. It is folded incrementally:
:meth:`JobView.feed` takes the records after those it has seen and returns
what they added, which is what the live event stream sends.

The log and the outputs keep the newest :data:`LOG_LIMIT` entries (a job at
1,000 emits/s would otherwise grow the monitor's memory without bound); each
entry carries its ``index`` in the whole log, and the totals are counted.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

__all__ = ["FINAL_STATUSES", "LOG_LIMIT", "JobView", "RoutineCounts", "ViewUpdate"]

#: Most log events and outputs a view keeps (the newest).
LOG_LIMIT = 2000
#: Statuses after which a job runs nothing: its queued work was run or dropped.
FINAL_STATUSES = frozenset({"completed", "failed", "cancelled"})
#: The execution records that are errors: ``"error"`` (a failed activation, retried or not)
#: and ``"error_continued"`` (an error the ``continue`` strategy let pass).
_ERROR_EVENTS = ("error", "error_continued")


@attrs.define
class RoutineCounts:
    """One routine's activations as its job's journal records them.

    Attributes:
        done: activations that ended without an error.
        failed: activations that ended with one (retried ones included).
        errors: errors recorded for the routine (an entry's failure has no activation record).
        retries: failed activations that will run again.
        queued: activations declared (by an emit, or a retry) and not ended yet.
    """

    done: int = 0
    failed: int = 0
    errors: int = 0
    retries: int = 0
    queued: int = 0

    @property
    def state(self) -> str:
        """``failed``, ``active`` (work queued), ``done`` or ``idle``: what the graph colours it by."""
        if self.errors and not self.queued:
            return "failed"
        if self.queued:
            return "active"
        return "done" if self.done or self.failed else "idle"

    def as_dict(self) -> dict[str, Any]:
        """The counts and the state, as the JSON API gives them."""
        return {**attrs.asdict(self), "state": self.state}


@attrs.frozen
class ViewUpdate:
    """What a batch of records added to a view: new log events and outputs, and whether it changed."""

    events: list[dict[str, Any]]
    outputs: list[dict[str, Any]]
    changed: bool


class JobView:
    """The monitor's picture of one durable job, built from its journal alone.

    Args:
        entry_id: the routine the job started at (its activation is number 0).
        routine_ids: the flow's routines, so that routines not yet run are counted too.
        status: the job's status before its first status record (its row's, at ``begin_job``).
    """

    def __init__(self, entry_id: str, routine_ids: Iterable[str], status: str = "running") -> None:
        self.entry_id = entry_id
        self.routines: dict[str, RoutineCounts] = {rid: RoutineCounts() for rid in routine_ids}
        self.routines.setdefault(entry_id, RoutineCounts())
        self.events: deque[dict[str, Any]] = deque(maxlen=LOG_LIMIT)
        self.outputs: deque[dict[str, Any]] = deque(maxlen=LOG_LIMIT)
        self.events_total = 0
        self.outputs_total = 0
        self.routine_states: dict[str, Any] = {}
        self.shared_data: dict[str, Any] = {}
        self.status = status
        #: Activations ended (``done`` and ``failed`` records), as the store's row counts them.
        self.activations_done = 0
        #: ``failed`` records, as the store's row counts them.
        self.errors = 0
        #: How many records have been folded (the offset of the next batch in the journal).
        self.seen = 0
        #: Whether more records may be committed than folded (a reader stopped at its budget).
        self.behind = False
        # The entry (seq 0) is queued from the start: its record is the first "done"/"failed".
        self._pending: dict[int, str] = {0: entry_id}
        self.routines[entry_id].queued = 1
        self._new_events: list[dict[str, Any]] = []
        self._new_outputs: list[dict[str, Any]] = []

    @property
    def queued(self) -> int:
        """Activations declared and not ended (0 once the job is final: its work ran or was dropped)."""
        return len(self._pending)

    def feed(self, records: Sequence[tuple[str, int, Any]]) -> ViewUpdate:
        """Fold ``records`` (the journal from offset :attr:`seen` on) into the view.

        Returns:
            The events and outputs these records added.
        """
        self._new_events, self._new_outputs = [], []
        for kind, seq, payload in records:
            if kind in ("done", "failed"):
                self._ended(kind, seq, payload or {})
            elif kind == "spawn":
                self._declare(payload)
            elif kind == "effect":
                self._effect(*payload)
            elif kind == "status":
                self._status(str(payload))
        self.seen += len(records)
        return ViewUpdate(events=self._new_events, outputs=self._new_outputs, changed=bool(records))

    def _log(self, event: dict[str, Any]) -> None:
        event["index"] = self.events_total
        self.events_total += 1
        self.events.append(event)
        self._new_events.append(event)

    def _status(self, status: str) -> None:
        self.status = status
        self._log({"kind": "status", "time": None, "routine": None, "status": status})
        if status in FINAL_STATUSES:
            for routine_id in self._pending.values():
                self._counts(routine_id).queued -= 1
            self._pending.clear()

    def _counts(self, routine_id: str) -> RoutineCounts:
        counts = self.routines.get(routine_id)
        if counts is None:  # a routine the header's definition does not name (a changed flow)
            counts = self.routines[routine_id] = RoutineCounts()
        return counts

    def _declare(self, children: Iterable[Sequence[Any]]) -> None:
        for child_seq, routine_id, *_rest in children:
            if child_seq not in self._pending:
                self._pending[child_seq] = routine_id
                self._counts(routine_id).queued += 1

    def _ended(self, kind: str, seq: int, payload: dict[str, Any]) -> None:
        routine_id = self._pending.pop(seq, None)
        if routine_id is None:
            routine_id = self.entry_id if seq == 0 else "?"
        else:
            self._counts(routine_id).queued -= 1
        counts = self._counts(routine_id)
        self.activations_done += 1
        if kind == "done":
            counts.done += 1
        else:
            counts.failed += 1
            self.errors += 1
        logged = len(self._new_events)
        for effect_kind, effect_payload in payload.get("effects", ()):
            self._effect(effect_kind, effect_payload)
        traceback = payload.get("traceback")
        if traceback is not None:  # the exception behind the error records this activation made
            for event in self._new_events[logged:]:
                if event["kind"] == "error" and event["traceback"] is None:
                    event["traceback"] = traceback
        if "error" in payload:  # the activation's changes could not be journaled
            counts.errors += 1
            self._log({"kind": "error", "time": None, "routine": routine_id, "error": payload["error"],
                       "error_type": None, "slot": None, "traceback": None})
        if "retry" in payload:
            counts.retries += 1
            self._pending[seq] = routine_id
            counts.queued += 1
            self._log({"kind": "retry", "time": None, "routine": routine_id, "attempt": payload["retry"]})
        self._declare(payload.get("children", ()))

    def _effect(self, kind: str, payload: Any) -> None:
        if kind == "emit":
            stamp, source, event_name, data = payload
            self._log({"kind": "emit", "time": stamp, "routine": source, "event": event_name, "data": data})
        elif kind == "record":
            recorded_by, event_name, data, stamp = payload
            if event_name in _ERROR_EVENTS:
                self._counts(recorded_by).errors += 1
                details = data if isinstance(data, dict) else {"error": data}
                self._log({
                    "kind": "error", "time": stamp, "routine": recorded_by,
                    "error": details.get("error"), "error_type": details.get("error_type"),
                    "slot": details.get("slot"), "traceback": details.get("traceback"),
                })
        elif kind == "output":
            output = dict(payload) if isinstance(payload, dict) else {"data": payload}
            output["index"] = self.outputs_total
            self.outputs_total += 1
            self.outputs.append(output)
            self._new_outputs.append(output)
        elif kind == "state":
            state_of, state = payload
            self.routine_states[state_of] = state
        elif kind == "shared":
            key, value = payload
            self.shared_data[key] = value

    def totals(self) -> dict[str, Any]:
        """The job's status and totals: ``done``, ``queued``, ``errors``."""
        return {"status": self.status, "done": self.activations_done, "queued": self.queued,
                "errors": self.errors}

    def progress(self) -> dict[str, Any]:
        """The parts that change in place: status, totals, per-routine counts, states, shared data."""
        return {
            **self.totals(),
            "routines": {rid: counts.as_dict() for rid, counts in sorted(self.routines.items())},
            "routine_states": self.routine_states,
            "shared_data": self.shared_data,
            "behind": self.behind,
        }

    def snapshot(self) -> dict[str, Any]:
        """Everything the view holds, as plain data (the first message of the live stream)."""
        return {
            **self.progress(),
            "events": list(self.events),
            "outputs": list(self.outputs),
            "events_total": self.events_total,
            "outputs_total": self.outputs_total,
        }
