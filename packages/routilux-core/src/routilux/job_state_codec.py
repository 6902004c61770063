"""A JobState's serialized form: what ``JobState.serialize()`` writes and ``deserialize()`` reads.

Writing may happen while workers still change the job. :func:`serialize_job`
copies every container of the job while holding ``job.lock``, which every
writer of those containers holds too (see :class:`~routilux.job_state.JobState`),
so the copy is one consistent picture; the history and the figures are then
formatted outside the lock. Timestamps are written as ISO strings, so the
result is ``json.dumps``-able whenever the user data in it is.

Reading checks everything before anything is changed; input data is never
mutated.

:func:`save_job` and :func:`load_job` are ``JobState.save``/``load``: a
serializer's job codec (:mod:`routilux.serialization.jobs`) gets the job's
:func:`snapshot_job` and the file's bytes when it has one, its
``dumps``/``loads`` the plain data otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import chain, starmap
from operator import itemgetter
from typing import Any, cast

from routilux.execution_record import ExecutionRecord, LoadedRows, merged_history, read_record
from routilux.job_stats import stats_from_data, stats_to_data
from routilux.plugins.specs import SerializerSpec
from routilux.serialization.files import (
    PathLike,
    atomic_write_bytes,
    choose_serializer,
    decode_bytes,
    read_bytes,
    write_data,
)
from routilux.serialization.jobs import HistoryRow, JobParts, JobSnapshot, job_codec_for, paused_gc
from routilux.serialization.values import (
    check_type,
    copy_data,
    field,
    list_of_dicts,
    non_negative,
    parse_datetime,
    require_mapping,
    str_keyed_dict,
)

__all__ = ["deserialize_job", "load_job", "save_job", "serialize_job", "snapshot_job"]

_ROUTINE_ID_TYPES = (str, type(None))

#: The containers of a job, copied under its lock, in the order they are written.
_CONTAINERS = (
    "routine_states", "pause_points", "pending_tasks", "deferred_events", "shared_data", "shared_log",
    "output_log",
)


def snapshot_job(job: Any) -> JobSnapshot:
    """``job``'s fields copied under its lock, and its history as rows (see :class:`JobSnapshot`)."""
    where = f"{job!r}"
    with job.lock:
        scalars = (
            job.flow_id, job.job_id, job.status, job.current_routine_id, job.created_at, job.updated_at,
        )
        containers = {name: copy_data(getattr(job, name), f"{where} {name}") for name in _CONTAINERS}
        records = list(job.records)
        emits = job.emit_log
        # Emit records are appended by the engine without the lock (the hot path): a deque's
        # append and its copy() are each a single C call, so this copy cannot interleave with one.
        emitted = None if emits is None else emits.copy()
    flow_id, job_id, status, current, created, updated = scalars
    fields: dict[str, Any] = {
        "_type": "JobState",
        "flow_id": flow_id,
        "job_id": job_id,
        "status": status,
        "current_routine_id": current,
        "routine_states": containers["routine_states"],
        "created_at": created.isoformat(),
        "updated_at": updated.isoformat(),
    }
    for name in _CONTAINERS[1:]:
        fields[name] = containers[name]
    fields["history_limit"] = 0 if emitted is None else emitted.maxlen
    fields["routine_stats"] = stats_to_data(job.routine_stats())
    return JobSnapshot(fields, merged_history(records, emitted or ()), where)


def serialize_job(job: Any) -> dict[str, Any]:
    """``job`` (a :class:`~routilux.job_state.JobState`) as plain data; see ``JobState.serialize``."""
    return snapshot_job(job).to_data()


#: Fields of a pending activation (spec §9.1) and the types they may have.
_PENDING_FIELDS = {
    "slot_routine_id": _ROUTINE_ID_TYPES,
    "slot_name": (str,),
    "connection_source_routine_id": _ROUTINE_ID_TYPES,
    "connection_source_event_name": _ROUTINE_ID_TYPES,
    "connection_target_routine_id": _ROUTINE_ID_TYPES,
    "connection_target_slot_name": _ROUTINE_ID_TYPES,
    "created_at": _ROUTINE_ID_TYPES,
}


def _read_pending(items: list[dict[str, Any]], what: str) -> list[dict[str, Any]]:
    for index, item in enumerate(items):
        where = f"{what}, field 'pending_tasks'[{index}]"
        if "slot_name" not in item:
            raise ValueError(f"{where}: missing field 'slot_name'")
        for key, types in _PENDING_FIELDS.items():
            value = item.get(key)
            if key in item and not isinstance(value, types):
                raise TypeError(
                    f"{where}: field {key!r} must be a string{' or None' if len(types) > 1 else ''}, "
                    f"got {type(value).__name__} {value!r:.80}"
                )
        for key in ("data", "param_mapping"):
            value = item.get(key)
            if value is not None and not isinstance(value, dict):
                raise TypeError(
                    f"{where}: field {key!r} must be a dict, got {type(value).__name__} {value!r:.80}"
                )
        for key in ("priority", "retry_count", "max_retries"):
            value = item.get(key)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise TypeError(
                    f"{where}: field {key!r} must be an int, got {type(value).__name__} {value!r:.80}"
                )
            non_negative(value, key, where)
    return items


def _read_deferred(items: list[dict[str, Any]], what: str) -> list[dict[str, Any]]:
    for index, item in enumerate(items):
        where = f"{what}, field 'deferred_events'[{index}]"
        for key in ("routine_id", "event_name"):
            if not isinstance(item.get(key), str):
                raise TypeError(f"{where}: field {key!r} must be a string, got {item.get(key)!r:.80}")
        if item.get("data") is not None and not isinstance(item["data"], dict):
            raise TypeError(f"{where}: field 'data' must be a dict, got {item['data']!r:.80}")
    return items


def deserialize_job(job: Any, data: Any, parts: JobParts | None = None) -> None:
    """Restore every serialized field of ``job``; ``data`` is not changed.

    The job comes back detached from any engine: a ``"paused"`` job is
    resumed with ``flow.resume(job)``, which re-creates its pending
    activations from ``pending_tasks``. Data written before the per-routine
    figures existed (no ``routine_stats``) gives empty figures. ``parts``,
    when given, is what a job codec read (see
    :class:`~routilux.serialization.jobs.JobParts`): its rows are the
    history (``job.record_log`` keeps them as they are until the history is
    first read), and ``data["execution_history"]`` is not looked at.
    """
    what = "JobState"
    data = require_mapping(data, what)
    check_type(data, "JobState", what, required=True)
    flow_id = field(data, "flow_id", str, what)
    job_id = field(data, "job_id", str, what)
    what = f"JobState {job_id!r}"
    status = field(data, "status", str, what)
    current = field(data, "current_routine_id", str, what, default=None, nullable=True)
    states = str_keyed_dict(data, "routine_states", what)
    rows: LoadedRows | None = None  # kept as they are, made into records when first read
    records: list[ExecutionRecord] = []
    if parts is not None:
        rows = _rows(parts, what)
        # A row without timestamp is stamped when made into a record: that must be now, at load.
        # (Only flat rows may be records: these are tuples.)
        if not parts.flat and not all(map(_TIME, cast("list[HistoryRow]", rows))):
            records, rows = list(starmap(ExecutionRecord, cast("list[HistoryRow]", rows))), None
    else:
        history_items = field(data, "execution_history", list, what, default=[])
        records = [
            read_record(item, f"{what}, field 'execution_history'[{i}]")
            for i, item in enumerate(history_items)
        ]
    now = datetime.now()
    created = parse_datetime(data.get("created_at", now), "created_at", what)
    updated = parse_datetime(data.get("updated_at", created), "updated_at", what)
    pause_points = list_of_dicts(data, "pause_points", what)
    pending = _read_pending(list_of_dicts(data, "pending_tasks", what), what)
    deferred = _read_deferred(list_of_dicts(data, "deferred_events", what), what)
    shared_data = str_keyed_dict(data, "shared_data", what)
    shared_log = list_of_dicts(data, "shared_log", what)
    output_log = list_of_dicts(data, "output_log", what)
    has_limit = "history_limit" in data
    limit = field(data, "history_limit", int, what, default=None, nullable=True)
    non_negative(limit, "history_limit", what)
    stats = stats_from_data(data.get("routine_stats"), f"{what}, field 'routine_stats'")

    with job.lock:
        job.flow_id = flow_id
        job.job_id = job_id
        job.status = status
        job.current_routine_id = current
        job.routine_states = states
        if has_limit:
            job.set_history_limit(limit)
        if rows is None:
            job.execution_history = records
        else:
            job.record_log.restore(rows, checked=True)
            if job.emit_log is not None:
                job.emit_log.clear()
        job.created_at = created
        job.updated_at = updated
        job.pause_points = pause_points
        job.pending_tasks = pending
        job.deferred_events = deferred
        job.shared_data = shared_data
        job.shared_log = shared_log
        job.output_log = output_log
        job.tallies.load(stats)
        job.engine_run = None


# -- files --------------------------------------------------------------------------------------


def save_job(
    job: Any, path: PathLike, serializer: str | SerializerSpec | None = None, *, fast: bool = True
) -> None:
    """``JobState.save``: the chosen serializer's job codec writes the job, else its ``dumps``.

    Args:
        fast: whether a job codec may be used; False for a job whose class has its own
            ``serialize()``, which is then what is written.
    """
    spec = choose_serializer(path, serializer)
    codec = job_codec_for(spec) if fast else None
    if codec is None:
        write_data(path, job.serialize(), spec)
        return
    snapshot = snapshot_job(job)
    with paused_gc():
        encoded = codec.dump_job(snapshot)
    if encoded is None:
        write_data(path, snapshot.to_data(), spec)
        return
    if not isinstance(encoded, (bytes, bytearray)):
        raise TypeError(f"serializer {spec.name!r}: dump_job() returned {type(encoded).__name__}, not bytes")
    atomic_write_bytes(path, encoded)


def load_job(
    job: Any, path: PathLike, serializer: str | SerializerSpec | None = None, *, fast: bool = True
) -> None:
    """``JobState.load``: restore ``job`` (a new JobState) from ``path``.

    Args:
        fast: whether a job codec may be used; False for a job whose class has its own
            ``deserialize()``, which then reads the decoded data.

    Raises:
        ValueError: the file cannot be decoded or does not hold a ``"JobState"``;
            see also :func:`~routilux.serialization.files.read_data`.
    """
    raw = read_bytes(path)
    spec = choose_serializer(path, serializer)
    codec = job_codec_for(spec) if fast else None
    if codec is None:
        _load_generic(job, path, raw, spec)
        return
    with paused_gc():
        parts = codec.load_job(raw)
        if parts is not None:
            deserialize_job(job, _job_fields(path, parts.fields), parts)
            return
    _load_generic(job, path, raw, spec)


def _load_generic(job: Any, path: PathLike, raw: bytes, spec: SerializerSpec) -> None:
    """``job.deserialize()`` of ``spec``'s decoding of ``raw``."""
    job.deserialize(_job_fields(path, decode_bytes(raw, path, spec)))


def _job_fields(path: PathLike, data: Any) -> dict[str, Any]:
    """``data``, checked to be a JobState's fields; ``ValueError`` naming ``path`` otherwise."""
    if not isinstance(data, dict):
        raise ValueError(f"{os.fspath(path)!r} does not hold a JobState: it holds {type(data).__name__}")
    kind = data.get("_type")
    if kind != "JobState":
        raise ValueError(f"{os.fspath(path)!r} does not hold a JobState: its '_type' is {kind!r:.80}")
    return data


_PLAIN = frozenset({str, int, float, bool, type(None)})
_DATA = itemgetter(2)
_TIME = itemgetter(3)  # a datetime is always true


def _rows(parts: JobParts, what: str) -> LoadedRows:
    """A job codec's rows, whose data is held to ``MAX_DEPTH`` as read_record does.

    Flat rows are the codec's Sequence itself when it gives one (see :class:`JobParts`):
    tuples or records. Any other history is an iterable of tuples, read now.
    """
    if parts.flat and isinstance(parts.history, Sequence):
        return parts.history
    rows = list(cast("Iterable[HistoryRow]", parts.history))
    if not parts.flat:
        datas = map(_DATA, rows)
        # The common case, flat data, is checked in one pass in C; any other row is copied like
        # read_record copies it, which checks its depth.
        if not _PLAIN.issuperset(map(type, chain.from_iterable(map(dict.values, filter(None, datas))))):
            rows = [
                (routine_id, event_name,
                 copy_data(data, f"{what}, field 'execution_history'[{index}], field 'data'", 1), timestamp)
                for index, (routine_id, event_name, data, timestamp) in enumerate(rows)
            ]
    return rows
