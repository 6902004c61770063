"""Serialized forms of JobState, ExecutionRecord and ExecutionTracker.

``serialize_job`` may run while workers still mutate the job: every container
is snapshotted with an atomic ``list()``/``dict()`` copy before it is walked.
Timestamps are written as ISO strings, so the result is ``json.dumps``-able
whenever the user data in it is.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Dict, List, Mapping

from routilux.serialization._values import (
    check_type,
    copy_data,
    field,
    list_of_dicts,
    non_negative,
    parse_datetime,
    require_mapping,
    str_keyed_dict,
)

if TYPE_CHECKING:
    from routilux.execution_tracker import ExecutionTracker
    from routilux.job_state import ExecutionRecord, JobState

_ROUTINE_ID_TYPES = (str, type(None))


# -- ExecutionRecord ------------------------------------------------------------------------------


def serialize_record(record: "ExecutionRecord") -> Dict[str, Any]:
    return {
        "_type": "ExecutionRecord",
        "routine_id": record.routine_id,
        "event_name": record.event_name,
        "data": copy_data(record.data, "ExecutionRecord data"),
        "timestamp": record.timestamp.isoformat(),
    }


def _read_record(data: Any, what: str) -> "ExecutionRecord":
    from routilux.job_state import ExecutionRecord

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


def deserialize_record(
    record: "ExecutionRecord", data: Any, what: str = "ExecutionRecord"
) -> "ExecutionRecord":
    restored = _read_record(data, what)
    record.routine_id = restored.routine_id
    record.event_name = restored.event_name
    record.data = restored.data
    record.timestamp = restored.timestamp
    return record


# -- JobState ---------------------------------------------------------------------------------------


def _history(job: "JobState") -> List[Dict[str, Any]]:
    """The materialised history, oldest first, as record dicts (built without ExecutionRecord objects)."""
    rows: List[Any] = [(r.timestamp, r.routine_id, r.event_name, r.data) for r in list(job._records)]
    emits = job._emits
    if emits:
        from_ts = datetime.fromtimestamp
        rows.extend((from_ts(ts), rid, event, data) for ts, rid, event, data in list(emits))
    rows.sort(key=_first)
    where = f"{job!r} execution_history"
    scalars = (str, int, float, bool, type(None))
    out = []
    for timestamp, routine_id, event_name, data in rows:
        if type(data) is dict and all(type(v) in scalars for v in list(data.values())):
            data = dict(data)  # the common flat payload: a shallow copy is a full copy
        else:
            data = copy_data(data or {}, where)
        out.append(
            {
                "_type": "ExecutionRecord",
                "routine_id": routine_id,
                "event_name": event_name,
                "data": data,
                "timestamp": timestamp.isoformat(),
            }
        )
    return out


def _first(row: Any) -> Any:
    return row[0]


def serialize_job(job: "JobState") -> Dict[str, Any]:
    emits = job._emits
    history_limit = 0 if emits is None else emits.maxlen
    return {
        "_type": "JobState",
        "flow_id": job.flow_id,
        "job_id": job.job_id,
        "status": job.status,
        "current_routine_id": job.current_routine_id,
        "routine_states": copy_data(job.routine_states, "JobState routine_states"),
        "execution_history": _history(job),
        "created_at": job.created_at.isoformat(),
        "updated_at": job.updated_at.isoformat(),
        "pause_points": copy_data(job.pause_points, "JobState pause_points"),
        "pending_tasks": copy_data(job.pending_tasks, "JobState pending_tasks"),
        "deferred_events": copy_data(job.deferred_events, "JobState deferred_events"),
        "shared_data": copy_data(job.shared_data, "JobState shared_data"),
        "shared_log": copy_data(job.shared_log, "JobState shared_log"),
        "output_log": copy_data(job.output_log, "JobState output_log"),
        "history_limit": history_limit,
    }


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


def _read_pending(items: List[Dict[str, Any]], what: str) -> List[Dict[str, Any]]:
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


def _read_deferred(items: List[Dict[str, Any]], what: str) -> List[Dict[str, Any]]:
    for index, item in enumerate(items):
        where = f"{what}, field 'deferred_events'[{index}]"
        for key in ("routine_id", "event_name"):
            if not isinstance(item.get(key), str):
                raise TypeError(f"{where}: field {key!r} must be a string, got {item.get(key)!r:.80}")
        if item.get("data") is not None and not isinstance(item["data"], dict):
            raise TypeError(f"{where}: field 'data' must be a dict, got {item['data']!r:.80}")
    return items


def deserialize_job(job: "JobState", data: Any) -> "JobState":
    """Restore every serialized field of ``job``; ``data`` is not changed.

    The job comes back detached from any engine: a ``"paused"`` job is
    resumed with ``flow.resume(job)``, which re-creates its pending
    activations from ``pending_tasks``.
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
    history_items = field(data, "execution_history", list, what, default=[])
    records = [
        _read_record(item, f"{what}, field 'execution_history'[{i}]") for i, item in enumerate(history_items)
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

    job.flow_id = flow_id
    job.job_id = job_id
    job.status = status
    job.current_routine_id = current
    job.routine_states = states
    if has_limit:
        job.set_history_limit(limit)
    job.execution_history = records
    job.created_at = created  # type: ignore[assignment]
    job.updated_at = updated  # type: ignore[assignment]
    job.pause_points = pause_points
    job.pending_tasks = pending
    job.deferred_events = deferred
    job.shared_data = shared_data
    job.shared_log = shared_log
    job.output_log = output_log
    job._detach()
    return job


# -- ExecutionTracker -----------------------------------------------------------------------------------


def serialize_tracker(tracker: "ExecutionTracker") -> Dict[str, Any]:
    return {
        "_type": "ExecutionTracker",
        "flow_id": tracker.flow_id,
        "routine_executions": copy_data(tracker.routine_executions, "ExecutionTracker routine_executions"),
        "event_flow": tracker.event_flow,
        "performance_metrics": copy_data(tracker.performance_metrics, "ExecutionTracker performance_metrics"),
    }


def deserialize_tracker(tracker: "ExecutionTracker", data: Any) -> "ExecutionTracker":
    what = "ExecutionTracker"
    data = require_mapping(data, what)
    check_type(data, "ExecutionTracker", what, required=False)
    flow_id = field(data, "flow_id", str, what, default=tracker.flow_id)
    executions_raw = str_keyed_dict(data, "routine_executions", what)
    for key, records in executions_raw.items():
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise TypeError(
                f"{what}: field 'routine_executions'[{key!r}] must be a list of dicts, got {records!r:.80}"
            )
    events = list_of_dicts(data, "event_flow", what)
    for index, event in enumerate(events):
        stamp = event.get("timestamp")
        if stamp is not None:
            parse_datetime(stamp, f"event_flow[{index}].timestamp", what)
    metrics = str_keyed_dict(data, "performance_metrics", what)
    tracker.flow_id = flow_id
    tracker.routine_executions = executions_raw
    tracker.event_flow = events
    tracker.performance_metrics = metrics
    return tracker
