"""Job codecs for both formats: ``JobState.save``/``load`` without the generic per-record walk.

What :func:`JobCodec.dump_job` writes is byte for byte what the format's
``dumps`` writes for ``JobState.serialize()``'s data, and :func:`JobCodec.load_job`
reads it back as ``loads`` does (see :mod:`routilux.serialization.jobs` for the
protocol). The speed comes from the execution records, most of a job's data:

* writing, each record becomes a msgspec ``Struct`` whose fields encode, in
  sorted order, as the record dict of ``serialize()`` would: msgspec writes
  the timestamp's ISO text itself (the same text ``isoformat()`` gives a
  naive datetime), and the record data goes out as it is when a private
  copy of it holds nothing but plain values (a string-keyed dict of
  strings, numbers, booleans and None). One loop over the records checks
  and copies each (reading a record's fields once is cheaper than a pass
  in C per field and per check: the loop's attribute reads and type tests
  are specialized bytecode, and each record is touched once);
* reading, msgspec decodes the records into such Structs, checking their
  types and parsing the timestamps in C; when all are flat (plain data, a
  timestamp in each) the decoded records themselves are the rows the
  loaded job keeps, made into ``ExecutionRecord`` objects (by attribute)
  only when its history is first read.

A record outside that common case is written the generic way (tagged),
the others as above; any job whose fields the encoder refuses, and any
file the typed decode refuses, is left to the generic path, which then
also reports the error. Reading tries a decode that takes nothing but plain values in the
records' data first (most files), then one that takes any. Reading never
imports or runs anything a file names.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import Any

import msgspec

from routilux.serialization import HistoryRecord, JobParts, JobSnapshot, Tagger

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

    Decoding checks both in C, which is what :attr:`JobParts.flat` promises. These records are
    read by attribute (see ``load_job``), so the fields are in the order of the file's keys,
    which msgspec matches fastest. ``kw_only``: so that the required timestamp may follow the
    fields with defaults.
    """

    data: dict[str, str | int | float | bool | None] | None = None
    event_name: str = ""
    routine_id: str = ""
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


_AS_ROW = msgspec.structs.astuple
_DATETIME = _dt.datetime


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
            if type(fields) is not dict:  # a tagged whole: not a form the records fit into
                return None
            envelope = dict(fields)
            envelope["execution_history"] = self._records(snapshot)
            return self._encode(envelope)  # type: ignore[no-any-return]
        except self._errors:
            return None

    def _records(self, snapshot: JobSnapshot) -> list[_Record]:
        """Every record as a Struct: the common ones as they are, the others tagged (see above)."""
        flat, reserved, tagged = self._flat, self._reserved_key, self._record
        records: list[_Record] = []
        append = records.append
        for row in snapshot.history:
            data = row.data
            routine_id = row.routine_id
            event_name = row.event_name
            timestamp = row.timestamp
            # Exact types only: the tagger writes subclasses (and enums) otherwise than msgspec,
            # and msgspec writes an aware datetime its own way.
            if (type(data) is dict and type(routine_id) is str and type(event_name) is str
                    and type(timestamp) is _DATETIME and timestamp.tzinfo is None):
                data = data.copy()  # one C call (as serialize() takes it): then checked and written
                for key in data:  # cheaper than over items(): no view, no tuple per item
                    if type(key) is not str or type(data[key]) not in flat:
                        break
                else:
                    if reserved is None or reserved not in data:
                        append(_Record(data, event_name, routine_id, timestamp))
                        continue
            append(tagged(snapshot, row))
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
        # Flat: the decoder's own records, which nothing changes, read by attribute when the
        # loaded job's history is first read (no tuple per row); else rows, read at load.
        return JobParts(fields, history if flat else map(_AS_ROW, history), flat)
