"""Job codecs for both formats: ``JobState.save``/``load`` without the generic per-record walk.

What :func:`JobCodec.dump_job` writes is byte for byte what the format's
``dumps`` writes for ``JobState.serialize()``'s data, and :func:`JobCodec.load_job`
reads it back as ``loads`` does (see :mod:`routilux.serialization.jobs` for the
protocol). The speed comes from the execution records, most of a job's data:

* writing, each record becomes a msgspec ``Struct`` whose fields encode, in
  sorted order, as the record dict of ``serialize()`` would: msgspec writes
  the timestamp's ISO text itself (the same text ``isoformat()`` gives a
  naive datetime), and the record data goes out as it is once one pass in C
  over all records has found nothing but plain values (a string-keyed dict
  of strings, numbers, booleans and None) in a private copy of each;
* reading, msgspec decodes the records into such Structs, checking their
  types and parsing the timestamps in C; when all are flat (plain data, a
  timestamp in each) their rows are a Sequence the loaded job keeps, made
  into ``ExecutionRecord`` objects only when its history is first read.

When a record is outside that common case, the records are written one by
one instead, the common ones as above and the others the generic way
(tagged); any job whose fields the encoder refuses, and any file the typed
decode refuses, is left to the generic path, which then also reports the
error. Reading tries a decode that takes nothing but plain values in the
records' data first (most files), then one that takes any. Reading never
imports or runs anything a file names.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterator, Sequence
from itertools import chain
from operator import attrgetter
from typing import Any, overload

import msgspec

from routilux.serialization import HistoryRecord, HistoryRow, JobParts, JobSnapshot, Tagger

__all__ = ["MsgspecJobCodec"]

#: Fields of ``JobState.serialize()`` besides the history, as (Struct attribute, key).
_FIELDS = (
    ("type_", "_type"), ("flow_id", "flow_id"), ("job_id", "job_id"), ("status", "status"),
    ("current_routine_id", "current_routine_id"), ("routine_states", "routine_states"),
    ("created_at", "created_at"), ("updated_at", "updated_at"), ("pause_points", "pause_points"),
    ("pending_tasks", "pending_tasks"), ("deferred_events", "deferred_events"),
    ("shared_data", "shared_data"), ("shared_log", "shared_log"), ("output_log", "output_log"),
    ("history_limit", "history_limit"), ("routine_stats", "routine_stats"),
)


class _Record(msgspec.Struct, tag_field="_type", tag="ExecutionRecord", gc=False):
    """One record to write: its fields encode like the record dict, the tag first, then sorted.

    ``gc=False``: a record holds no reference back to anything that could form a cycle.
    """

    data: Any
    event_name: Any
    routine_id: Any
    timestamp: Any


class _ReadRecord(msgspec.Struct, tag_field="_type", tag="ExecutionRecord", gc=False):
    """One record read, in the order of ``ExecutionRecord``'s parameters (``astuple`` gives a row).

    The defaults are ``read_record``'s for a missing field.
    """

    routine_id: str = ""
    event_name: str = ""
    data: dict[str, Any] | None = None
    timestamp: _dt.datetime | None = None


class _FlatRecord(msgspec.Struct, tag_field="_type", tag="ExecutionRecord", gc=False, kw_only=True):
    """Like :class:`_ReadRecord`, but its data holds plain values only and its timestamp is there.

    Decoding checks both in C, which is what :attr:`JobParts.flat` promises. ``kw_only``: so
    that the required timestamp may follow the fields with defaults, in the same order.
    """

    routine_id: str = ""
    event_name: str = ""
    data: dict[str, str | int | float | bool | None] | None = None
    timestamp: _dt.datetime


class _Job(msgspec.Struct, gc=False):
    """A job file read with its records typed; other fields as the format decodes them."""

    type_: Any = msgspec.field(default=msgspec.UNSET, name="_type")
    flow_id: Any = msgspec.UNSET
    job_id: Any = msgspec.UNSET
    status: Any = msgspec.UNSET
    current_routine_id: Any = msgspec.UNSET
    routine_states: Any = msgspec.UNSET
    execution_history: list[_ReadRecord] = []
    created_at: Any = msgspec.UNSET
    updated_at: Any = msgspec.UNSET
    pause_points: Any = msgspec.UNSET
    pending_tasks: Any = msgspec.UNSET
    deferred_events: Any = msgspec.UNSET
    shared_data: Any = msgspec.UNSET
    shared_log: Any = msgspec.UNSET
    output_log: Any = msgspec.UNSET
    history_limit: Any = msgspec.UNSET
    routine_stats: Any = msgspec.UNSET


class _FlatJob(_Job, gc=False):
    """A :class:`_Job` whose records all have plain data (most files): the faster decode."""

    # msgspec decodes by this annotation; the narrower element type is the whole point.
    execution_history: list[_FlatRecord] = []  # type: ignore[assignment]


_ROUTINE_ID = attrgetter("routine_id")
_EVENT_NAME = attrgetter("event_name")
_DATA = attrgetter("data")
_TIMESTAMP = attrgetter("timestamp")
_AS_ROW = msgspec.structs.astuple
_TZINFO = attrgetter("tzinfo")
_DICT = frozenset({dict})
_STR = frozenset({str})
_DATETIME = frozenset({_dt.datetime})


class _Rows(Sequence[HistoryRow]):
    """The rows of decoded records, made when read: a Sequence, so the loaded job may keep it.

    The records are the decoder's own and nothing changes them, so reading later (when the
    job's history is first read) gives what reading now would.
    """

    __slots__ = ("_records",)

    def __init__(self, records: list[Any]) -> None:
        self._records = records

    def __len__(self) -> int:
        return len(self._records)

    @overload
    def __getitem__(self, index: int) -> HistoryRow: ...

    @overload
    def __getitem__(self, index: slice) -> list[HistoryRow]: ...

    def __getitem__(self, index: int | slice) -> HistoryRow | list[HistoryRow]:
        if isinstance(index, slice):
            return list(map(_AS_ROW, self._records[index]))
        return _AS_ROW(self._records[index])

    def __iter__(self) -> Iterator[HistoryRow]:
        return map(_AS_ROW, self._records)


class MsgspecJobCodec:
    """A :class:`~routilux.serialization.JobCodec` on a msgspec encoder and decoder pair.

    Args:
        encoder: encodes as the format's ``dumps`` does, with ``order="deterministic"``
            (dict keys sorted; a Struct's fields in their order, which is sorted).
        decoder_for: makes the format's decoder for a type (``ext_hook`` and all).
        tagger: the format's :class:`~routilux.serialization.Tagger`.
        flat: exact types a record's data values may have to be written untouched.
        skip_load: returns True for bytes the typed decode must not read (say,
            JSON text holding tags); the generic path reads them.
        errors: what ``encoder.encode`` raises for data the format writes
            otherwise or refuses, which leaves the job to the generic path.
    """

    def __init__(
        self,
        encoder: Any,
        decoder_for: Callable[[type[Any]], Any],
        tagger: Tagger,
        flat: frozenset[type[Any]],
        *,
        reserved_key: str | None = None,
        skip_load: Callable[[bytes], bool] | None = None,
        errors: tuple[type[Exception], ...] = (TypeError, ValueError, OverflowError),
    ) -> None:
        self._encode = encoder.encode
        self._decode_flat = decoder_for(_FlatJob).decode
        self._decode = decoder_for(_Job).decode
        self._tagger = tagger
        self._flat = flat
        self._reserved_key = reserved_key
        self._skip_load = skip_load
        self._errors = errors

    def dump_job(self, snapshot: JobSnapshot) -> bytes | None:
        """The bytes the format's ``dumps`` writes for ``snapshot.to_data()``, or None (see above)."""
        try:
            fields = self._tagger(snapshot.fields)
            history = self._fast_records(snapshot.history)
            if history is None:
                history = self._mixed_records(snapshot)
            if type(fields) is not dict:  # a tagged whole: not a form the records fit into
                return None
            envelope = dict(fields)
            envelope["execution_history"] = history
            return self._encode(envelope)  # type: ignore[no-any-return]
        except self._errors:
            return None

    def _fast_records(self, history: Sequence[HistoryRecord]) -> list[_Record] | None:
        """Every record as a Struct, if all are the common case (see the module docstring)."""
        # One pass in C per column and per check: no Python code runs per record.
        datas = list(map(_DATA, history))
        routine_ids = list(map(_ROUTINE_ID, history))
        event_names = list(map(_EVENT_NAME, history))
        timestamps = list(map(_TIMESTAMP, history))
        if not (
            _DICT.issuperset(map(type, datas))
            and _STR.issuperset(map(type, chain(routine_ids, event_names)))
            and _DATETIME.issuperset(map(type, timestamps))
            and not any(map(_TZINFO, timestamps))  # msgspec writes aware datetimes its own way
        ):
            return None
        # Private copies, each one C call (as serialize() takes them), checked and then written.
        copies = list(map(dict.copy, datas))
        if not (
            self._flat.issuperset(map(type, chain.from_iterable(map(dict.values, copies))))
            and _STR.issuperset(map(type, chain.from_iterable(copies)))
            and (self._reserved_key is None or self._reserved_key not in chain.from_iterable(copies))
        ):
            return None
        return list(map(_Record, copies, event_names, routine_ids, timestamps))

    def _mixed_records(self, snapshot: JobSnapshot) -> list[_Record]:
        """Every record as a Struct, one by one: the common ones as such, the others tagged."""
        flat, reserved = self._flat, self._reserved_key
        records = []
        for row in snapshot.history:
            data, timestamp = row.data, row.timestamp
            routine_id, event_name = row.routine_id, row.event_name
            if (type(data) is dict and type(routine_id) is str and type(event_name) is str
                    and type(timestamp) is _dt.datetime and timestamp.tzinfo is None):
                data = data.copy()
                if (flat.issuperset(map(type, data.values())) and _STR.issuperset(map(type, data))
                        and (reserved is None or reserved not in data)):
                    records.append(_Record(data, event_name, routine_id, timestamp))
                    continue
            records.append(self._record(snapshot, row))
        return records

    def _record(self, snapshot: JobSnapshot, row: HistoryRecord) -> _Record:
        """One record written as the generic path writes it (tagged data, ISO text)."""
        timestamp = row.timestamp
        # msgspec writes a naive datetime as isoformat() does, an aware one its own way.
        naive = type(timestamp) is _dt.datetime and timestamp.tzinfo is None
        tag = self._tagger
        return _Record(tag(snapshot.record_data(row.data)), tag(row.event_name), tag(row.routine_id),
                       timestamp if naive else timestamp.isoformat())

    def load_job(self, raw: bytes) -> JobParts | None:
        """``loads(raw)`` as :class:`~routilux.serialization.JobParts`, or None (see above)."""
        if not isinstance(raw, (bytes, bytearray)) or (self._skip_load is not None and self._skip_load(raw)):
            return None
        flat = True
        try:
            try:
                job = self._decode_flat(raw)
            except msgspec.ValidationError:  # not a job file, or one with data of other values
                job, flat = self._decode(raw), False
        except (msgspec.DecodeError, msgspec.ValidationError, ValueError, RecursionError):
            return None
        fields = {key: value for attribute, key in _FIELDS
                  if (value := getattr(job, attribute)) is not msgspec.UNSET}
        history = job.execution_history
        return JobParts(fields, _Rows(history) if flat else map(_AS_ROW, history), flat)
