"""JobState: everything one job (one ``Flow.execute``) records about itself."""

from __future__ import annotations

import collections
import logging
import os
import threading
import time
import uuid
import warnings
from datetime import datetime
from typing import Any, Callable, Deque, Dict, List, Mapping, Optional, Tuple, Union

from routilux.class_registry import register_serializable
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
from routilux.serialization.files import read_data, write_data

__all__ = ["DEFAULT_HISTORY_LIMIT", "ExecutionRecord", "JobState", "register_serializable"]

logger = logging.getLogger(__name__)

#: Emit records kept per job by default; older ones are dropped first.
DEFAULT_HISTORY_LIMIT = 1000

#: Statuses after which a job does no more work.
FINAL_STATUSES = frozenset({"completed", "failed", "cancelled"})

#: Seconds between two calls of a waiter's progress callback.
_PROGRESS_INTERVAL = 5.0

# (timestamp from time.time(), routine_id, event_name, data): appended by the engine per emit.
_EmitRecord = Tuple[float, str, str, Dict[str, Any]]


class ExecutionRecord:
    """One entry of a job's execution history."""

    __slots__ = ("routine_id", "event_name", "data", "timestamp")

    def __init__(
        self,
        routine_id: str = "",
        event_name: str = "",
        data: Optional[Dict[str, Any]] = None,
        timestamp: Optional[datetime] = None,
    ) -> None:
        self.routine_id = routine_id
        self.event_name = event_name
        self.data: Dict[str, Any] = data or {}
        self.timestamp: datetime = timestamp if timestamp is not None else datetime.now()

    def serialize(self) -> Dict[str, Any]:
        """``{"_type": "ExecutionRecord", "routine_id", "event_name", "data", "timestamp": <iso>}``."""
        return serialize_record(self)

    def deserialize(self, data: Dict[str, Any], registry: Any = None) -> "ExecutionRecord":
        return deserialize_record(self, data)

    def __repr__(self) -> str:
        return f"ExecutionRecord[{self.routine_id}.{self.event_name}@{self.timestamp}]"


class JobState:
    """The state of one job: status, per-routine states, history, pause points, outputs.

    ``status`` is ``"pending"`` until the job runs, ``"running"`` while it
    does, and the engine sets ``"completed"``, ``"failed"`` or
    ``"cancelled"`` the moment its last activation ends. Emits are recorded
    compactly (at most ``history_limit`` per job, 0 turns them off, None
    keeps all) and turned into :class:`ExecutionRecord` objects when read.
    """

    def __init__(self, flow_id: str = "", *, history_limit: Optional[int] = DEFAULT_HISTORY_LIMIT) -> None:
        now = datetime.now()
        self.flow_id = flow_id
        self.job_id = str(uuid.uuid4())
        self.status = "pending"
        self.current_routine_id: Optional[str] = None
        self.routine_states: Dict[str, Dict[str, Any]] = {}
        self.created_at = now
        self._updated_at = now
        self.pause_points: List[Dict[str, Any]] = []
        self.pending_tasks: List[Dict[str, Any]] = []
        self.deferred_events: List[Dict[str, Any]] = []
        self.shared_data: Dict[str, Any] = {}
        self.shared_log: List[Dict[str, Any]] = []
        self.output_log: List[Dict[str, Any]] = []
        self.output_handler: Any = None
        self._records: List[ExecutionRecord] = []
        self._emits: Optional[Deque[_EmitRecord]] = None
        self.set_history_limit(history_limit)
        self._detach()

    def _detach(self) -> None:
        """Forget any engine: nothing of this job is in flight in this process."""
        # Engine bookkeeping. One token per unit of work in flight (the entry
        # handler, each queued, running or held activation): list append/pop
        # are atomic, so no lock is needed to count across threads.
        self._inflight: Optional[List[None]] = None
        self._final_token: List[None] = []
        self._settled = threading.Event()
        self._gate: Optional[str] = None  # None, "paused", "cancelled" or "stopped"
        self._held: List[Any] = []

    # -- history ------------------------------------------------------------------------

    def set_history_limit(self, limit: Optional[int]) -> None:
        """Keep at most ``limit`` emit records (0: none, None: unbounded).

        The newest existing records are kept up to the new limit; 0 drops them all.
        """
        if limit is not None and (not isinstance(limit, int) or limit < 0):
            raise ValueError(f"history_limit must be a non-negative int or None, got {limit!r}")
        old = self._emits
        self._emits = None if limit == 0 else collections.deque(old or (), maxlen=limit)

    def record_execution(
        self, routine_id: str, event_name: str, data: Optional[Dict[str, Any]] = None
    ) -> None:
        """Append a record timestamped now."""
        record = ExecutionRecord(routine_id, event_name, data)
        self._records.append(record)
        self._updated_at = record.timestamp

    def get_execution_history(self, routine_id: Optional[str] = None) -> List[ExecutionRecord]:
        """The history sorted by timestamp, optionally only that of ``routine_id``."""
        records = list(self._records)
        if self._emits:
            from_ts = datetime.fromtimestamp
            records.extend(
                ExecutionRecord(rid, event, data, from_ts(ts)) for ts, rid, event, data in list(self._emits)
            )
        if routine_id is not None:
            records = [r for r in records if r.routine_id == routine_id]
        records.sort(key=_timestamp)
        return records

    @property
    def execution_history(self) -> List[ExecutionRecord]:
        """All records, oldest first (a new list on each read)."""
        return self.get_execution_history()

    @execution_history.setter
    def execution_history(self, records: List[ExecutionRecord]) -> None:
        self._records = list(records)
        if self._emits is not None:
            self._emits.clear()

    @property
    def updated_at(self) -> datetime:
        if self._emits:
            last = datetime.fromtimestamp(self._emits[-1][0])
            if last > self._updated_at:
                return last
        return self._updated_at

    @updated_at.setter
    def updated_at(self, value: datetime) -> None:
        self._updated_at = value

    def _touch(self) -> None:
        self._updated_at = datetime.now()

    # -- routine states -----------------------------------------------------------------

    def update_routine_state(self, routine_id: str, state: Dict[str, Any]) -> None:
        """Replace the state of ``routine_id`` with a copy of ``state``."""
        self.routine_states[routine_id] = dict(state)
        self._touch()

    def get_routine_state(self, routine_id: str) -> Optional[Dict[str, Any]]:
        return self.routine_states.get(routine_id)

    def _has_failed_routine(self) -> bool:
        return any(
            isinstance(state, dict) and state.get("status") in ("failed", "error")
            for state in list(self.routine_states.values())
        )

    # -- status transitions ---------------------------------------------------------------

    def _set_paused(self, reason: str = "", checkpoint: Optional[Dict[str, Any]] = None) -> None:
        self.status = "paused"
        self.pause_points.append(
            {
                "timestamp": datetime.now().isoformat(),
                "reason": reason,
                "current_routine_id": self.current_routine_id,
                "checkpoint": checkpoint or {},
            }
        )
        self._touch()

    def _set_running(self) -> None:
        if self.status == "paused":
            self.status = "running"
            self._touch()

    def _set_cancelled(self, reason: str = "") -> None:
        self.status = "cancelled"
        if reason:
            self.routine_states["_cancellation"] = {"reason": reason}
        self._touch()

    # -- deferred events, shared data, outputs ---------------------------------------------

    def add_deferred_event(self, routine_id: str, event_name: str, data: Dict[str, Any]) -> None:
        """Keep an emit for when the job is resumed."""
        self.deferred_events.append(
            {"routine_id": routine_id, "event_name": event_name, "data": data,
             "timestamp": datetime.now().isoformat()}
        )
        self._touch()

    def update_shared_data(self, key: str, value: Any) -> None:
        self.shared_data[key] = value
        self._touch()

    def get_shared_data(self, key: str, default: Any = None) -> Any:
        return self.shared_data.get(key, default)

    def append_to_shared_log(self, entry: Dict[str, Any]) -> None:
        if not isinstance(entry, dict):
            raise ValueError(f"Entry must be a dictionary, got {type(entry).__name__}: {entry!r}")
        if "timestamp" not in entry:
            entry = {**entry, "timestamp": datetime.now().isoformat()}
        self.shared_log.append(entry)
        self._touch()

    def get_shared_log(
        self, filter_func: Optional[Callable[[Dict[str, Any]], bool]] = None
    ) -> List[Dict[str, Any]]:
        if filter_func is None:
            return list(self.shared_log)
        return [entry for entry in self.shared_log if filter_func(entry)]

    def set_output_handler(self, handler: Any) -> None:
        self.output_handler = handler

    def send_output(self, routine_id: str, output_type: str, data: Dict[str, Any]) -> None:
        """Pass an output to the job's output handler (if any) and log it."""
        now = datetime.now()
        handler = self.output_handler
        if handler is not None:
            try:
                handler.handle(
                    job_id=self.job_id, routine_id=routine_id, output_type=output_type,
                    data=data, timestamp=now,
                )
            except Exception as error:  # a broken sink must not break the job
                warnings.warn(f"Output handler failed: {error}", stacklevel=2)
        self.output_log.append(
            {"routine_id": routine_id, "output_type": output_type, "data": data, "timestamp": now.isoformat()}
        )
        self._touch()

    # -- waiting ----------------------------------------------------------------------------

    @staticmethod
    def wait_for_completion(
        flow: Any,
        job_state: "JobState",
        timeout: Optional[float] = None,
        stability_checks: int = 5,
        check_interval: float = 0.1,
        stability_delay: float = 0.05,
        progress_callback: Optional[Callable[[int, int, str], None]] = None,
    ) -> bool:
        """Wait until ``job_state`` is completed, failed, cancelled or paused.

        Returns True at once for a job in one of those states and False when
        ``timeout`` passes first (the status is left as it is). Only this job
        is waited for, never other jobs of the flow. ``stability_checks``,
        ``check_interval`` and ``stability_delay`` are accepted for 0.10
        compatibility; completion is signalled by the engine, not polled.
        """
        if job_state._settled.is_set() or job_state.status in FINAL_STATUSES:
            return True
        if job_state._inflight is None:
            # Never run by an engine here (built by hand, or loaded): nothing is in flight.
            if job_state.status == "running":
                job_state._finish()
                return True
            if job_state.status == "paused":
                return True
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wait: Optional[float] = None
            if deadline is not None:
                wait = deadline - time.monotonic()
                if wait <= 0:
                    logger.warning("Timed out after %ss waiting for %r", timeout, job_state)
                    return False
            if progress_callback is not None:
                wait = _PROGRESS_INTERVAL if wait is None else min(wait, _PROGRESS_INTERVAL)
            if job_state._settled.wait(wait) or job_state.status in FINAL_STATUSES:
                return True
            if progress_callback is not None:
                progress_callback(len(job_state._held), len(job_state._inflight or ()), job_state.status)

    @staticmethod
    def wait_until_condition(
        flow: Any,
        job_state: "JobState",
        condition: Callable[[Any, "JobState"], bool],
        timeout: Optional[float] = None,
        check_interval: float = 0.1,
        progress_callback: Optional[Callable[[int, int, str], None]] = None,
    ) -> bool:
        """Poll ``condition(flow, job_state)`` until it holds, the job ends, or ``timeout``."""

        def holds() -> bool:
            try:
                return bool(condition(flow, job_state))
            except Exception:
                logger.exception("Condition raised while waiting on %r", job_state)
                return False

        deadline = None if timeout is None else time.monotonic() + timeout
        last_progress = time.monotonic()
        while True:
            if holds():
                return True
            if job_state.status in FINAL_STATUSES:
                return holds()
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                return False
            if progress_callback is not None and now - last_progress >= _PROGRESS_INTERVAL:
                last_progress = now
                progress_callback(len(job_state._held), len(job_state._inflight or ()), job_state.status)
            job_state._settled.wait(check_interval)

    # -- serialization and files ----------------------------------------------------------------

    def serialize(self) -> Dict[str, Any]:
        """Every field but the output handler, timestamps as ISO strings.

        Safe to call while the job runs (containers are snapshotted), and
        ``json.dumps``-able whenever the data the routines put in it is. The
        pending activations of a paused job (``pending_tasks``) are included,
        so the job can be resumed by another process.
        """
        return serialize_job(self)

    def deserialize(self, data: Dict[str, Any], registry: Any = None) -> "JobState":
        """Restore every field from :meth:`serialize` data (``data`` is not changed).

        Raises ``ValueError``/``TypeError`` naming the field for malformed data.
        """
        return deserialize_job(self, data)

    def save(self, filepath: "Union[str, os.PathLike[str]]", serializer: Any = None) -> None:
        """Write the job to ``filepath`` atomically (parent directories are created).

        ``serializer`` names a registered serializer plugin (or is a
        ``SerializerSpec``); by default the file suffix chooses it, falling
        back to ``"json"``. Without any serializer plugin installed this
        raises an error saying to install ``routilux-json-store``.
        """
        write_data(filepath, self.serialize(), serializer)

    @classmethod
    def load(cls, filepath: "Union[str, os.PathLike[str]]", serializer: Any = None) -> "JobState":
        """Read a job written by :meth:`save`.

        ``FileNotFoundError`` for a missing file; ``ValueError`` for a file that
        cannot be decoded or does not hold a ``"JobState"``.
        """
        data = read_data(filepath, serializer)
        if not isinstance(data, dict):
            raise ValueError(
                f"{os.fspath(filepath)!r} does not hold a JobState: it holds {type(data).__name__}"
            )
        kind = data.get("_type")
        if kind != "JobState":
            raise ValueError(f"{os.fspath(filepath)!r} does not hold a JobState: its '_type' is {kind!r:.80}")
        return cls().deserialize(data)

    # -- engine side ---------------------------------------------------------------------------

    def _finish(self) -> None:
        """Make a running job final; called once, when its last activation ended."""
        if self.status == "running":
            self.status = "failed" if self._has_failed_routine() else "completed"
            self._touch()
        self._settled.set()

    def __repr__(self) -> str:
        return f"JobState[{self.job_id}:{self.status}]"


def _timestamp(record: ExecutionRecord) -> datetime:
    return record.timestamp


# -- serialized form ---------------------------------------------------------------------------
# ``serialize_job`` may run while workers still mutate the job: every container is snapshotted
# with an atomic ``list()``/``dict()`` copy before it is walked. Timestamps are written as ISO
# strings, so the result is ``json.dumps``-able whenever the user data in it is. Readers check
# everything before anything is changed; input data is never mutated.

_ROUTINE_ID_TYPES = (str, type(None))


def serialize_record(record: "ExecutionRecord") -> Dict[str, Any]:
    return {
        "_type": "ExecutionRecord",
        "routine_id": record.routine_id,
        "event_name": record.event_name,
        "data": copy_data(record.data, "ExecutionRecord data"),
        "timestamp": record.timestamp.isoformat(),
    }


def _read_record(data: Any, what: str) -> "ExecutionRecord":
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
