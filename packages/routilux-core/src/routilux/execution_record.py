"""ExecutionRecord: one entry of a job's execution history, its serialized form, and a job's record log."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from itertools import starmap
from operator import attrgetter, itemgetter
from typing import Any, cast

from routilux.serialization.jobs import HistoryRecord, HistoryRow, paused_gc
from routilux.serialization.values import check_type, copy_data, field, parse_datetime, require_mapping

__all__ = [
    "EmitRecord", "ExecutionRecord", "LoadedRows", "RecordLog", "deserialize_record", "loaded_records",
    "merged_history", "read_record", "serialize_record",
]

#: The engine's record of one emit: ``(time.time(), routine_id, event_name, data)``.
EmitRecord = tuple[float, str, str, dict[str, Any]]

#: A loaded history as a job codec gives it (see ``routilux.serialization.JobParts``): rows, or
#: objects with the attributes of a record (read by name), all of one kind.
LoadedRows = Sequence[HistoryRow] | Sequence[HistoryRecord]


class ExecutionRecord:
    """One entry of a job's execution history."""

    __slots__ = ("routine_id", "event_name", "data", "timestamp")

    def __init__(
        self,
        routine_id: str = "",
        event_name: str = "",
        data: dict[str, Any] | None = None,
        timestamp: datetime | None = None,
    ) -> None:
        self.routine_id = routine_id
        self.event_name = event_name
        self.data: dict[str, Any] = data or {}
        self.timestamp: datetime = timestamp if timestamp is not None else datetime.now()

    def serialize(self) -> dict[str, Any]:
        """``{"_type": "ExecutionRecord", "routine_id", "event_name", "data", "timestamp": <iso>}``."""
        return serialize_record(self)

    def deserialize(self, data: dict[str, Any], registry: Any = None) -> ExecutionRecord:
        return deserialize_record(self, data)

    def __repr__(self) -> str:
        return f"ExecutionRecord[{self.routine_id}.{self.event_name}@{self.timestamp}]"


def serialize_record(record: ExecutionRecord) -> dict[str, Any]:
    return {
        "_type": "ExecutionRecord",
        "routine_id": record.routine_id,
        "event_name": record.event_name,
        "data": copy_data(record.data, "ExecutionRecord data"),
        "timestamp": record.timestamp.isoformat(),
    }


def read_record(data: Any, what: str) -> ExecutionRecord:
    """A new record from :func:`serialize_record` data; ``ValueError``/``TypeError`` name the field."""
    data = require_mapping(data, what)
    check_type(data, "ExecutionRecord", what, required=False)
    routine_id = field(data, "routine_id", str, what, default="")
    event_name = field(data, "event_name", str, what, default="")
    payload = field(data, "data", Mapping, what, default=None, nullable=True)
    timestamp = parse_datetime(data.get("timestamp"), "timestamp", what, nullable=True)
    return ExecutionRecord(
        routine_id,
        event_name,
        copy_data(dict(payload), f"{what}, field 'data'", 1) if payload else {},
        timestamp,
    )


def deserialize_record(record: ExecutionRecord, data: Any, what: str = "ExecutionRecord") -> ExecutionRecord:
    restored = read_record(data, what)
    record.routine_id = restored.routine_id
    record.event_name = restored.event_name
    record.data = restored.data
    record.timestamp = restored.timestamp
    return record


_TIMESTAMP = attrgetter("timestamp")
_ROW_TIMESTAMP = itemgetter(3)


def loaded_records(rows: LoadedRows) -> list[ExecutionRecord]:
    """New records of loaded ``rows`` that each have a timestamp, in their order.

    Tuples are read by position, as ``ExecutionRecord``'s parameters; other rows by attribute.
    A row's ``data`` of None gives ``{}``, as the constructor does.
    """
    if _by_position(rows):
        return list(starmap(ExecutionRecord, cast("Sequence[HistoryRow]", rows)))
    # Every field is given, so the constructor's defaults are not needed, nor its call: a new
    # instance with its slots set is the same record. Calling ExecutionRecord(...) per row from
    # here would cost about 40% more; a tuple per row for starmap(), about 30% more.
    new = object.__new__
    records: list[ExecutionRecord] = []
    append = records.append
    for row in cast("Sequence[HistoryRecord]", rows):
        record = new(ExecutionRecord)
        record.routine_id = row.routine_id
        record.event_name = row.event_name
        record.data = row.data or {}
        record.timestamp = row.timestamp
        append(record)
    return records


def _by_position(rows: LoadedRows) -> bool:
    """Whether ``rows`` are tuples (all rows are of one kind, so the first tells)."""
    return not rows or isinstance(rows[0], tuple)


def _timestamps(rows: LoadedRows) -> Iterable[Any]:
    """The timestamp of each row, read as :func:`loaded_records` reads it."""
    if _by_position(rows):
        return map(_ROW_TIMESTAMP, cast("Sequence[HistoryRow]", rows))
    return map(_TIMESTAMP, rows)


def merged_history(
    records: list[ExecutionRecord], emits: Iterable[EmitRecord], routine_id: str | None = None
) -> list[ExecutionRecord]:
    """``records`` (a private list, extended) and new records of ``emits``, sorted by timestamp.

    Only those of ``routine_id`` when it is given. The sort is stable: records with equal
    timestamps keep their order.
    """
    from_ts = datetime.fromtimestamp
    records.extend(ExecutionRecord(rid, event, data, from_ts(ts)) for ts, rid, event, data in emits)
    if routine_id is not None:
        records = [record for record in records if record.routine_id == routine_id]
    records.sort(key=_TIMESTAMP)
    return records


class RecordLog:
    """The :class:`ExecutionRecord` part of a job's history, oldest first.

    A loaded history may be held as the rows it was read as (see :meth:`restore`):
    they become records (:func:`loaded_records`), older than any appended since, on
    the first call of :meth:`records`, once, under the job's lock. Changes hold that
    lock; reads need not.
    """

    __slots__ = ("_lock", "_records", "_unread")

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._records: list[ExecutionRecord] = []
        self._unread: LoadedRows | None = None

    def records(self) -> list[ExecutionRecord]:
        """The records: the list itself, which callers holding the lock may append to."""
        if self._unread is not None:
            with self._lock:
                rows = self._unread
                if rows is not None:
                    with paused_gc():
                        records = loaded_records(rows)
                    records.extend(self._records)
                    # In this order: a reader that finds _unread None without the lock finds these.
                    self._records = records
                    self._unread = None
        return self._records

    def append(self, record: ExecutionRecord) -> None:
        """Add the newest record (the caller holds the lock); loaded rows stay unread."""
        self._records.append(record)

    def replace(self, records: list[ExecutionRecord]) -> None:
        """Make ``records`` (kept, not copied) the whole log."""
        with self._lock:
            self._records = records
            self._unread = None

    def restore(self, rows: LoadedRows, *, checked: bool = False) -> None:
        """Make loaded ``rows`` (kept, not copied: the caller gives them up) the whole log.

        Args:
            rows: tuples in the order of ``ExecutionRecord``'s parameters, or objects with
                its four attributes (see :func:`loaded_records`).
            checked: the caller has checked every timestamp is a datetime (a job codec's flat rows).

        Raises:
            ValueError: a row's timestamp is None (``ExecutionRecord`` would stamp it when
                made, which must be now, not at the first read).
        """
        # A datetime is always true: this finds a None in C.
        if not checked and not all(_timestamps(rows)):
            raise ValueError("RecordLog.restore: every row needs a timestamp; make such records now instead")
        with self._lock:
            self._records = []
            self._unread = rows
