"""ExecutionTracker: per-routine timings and the flow of events of the latest job."""

from __future__ import annotations

import collections
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from routilux.serialization.values import (
    check_type,
    copy_data,
    field,
    list_of_dicts,
    parse_datetime,
    require_mapping,
    str_keyed_dict,
)

#: Event records kept by a tracker; older ones are dropped first.
DEFAULT_EVENT_LIMIT = 1000

# Either (ts, source_id, event_name, target_id, data) from record_event(), or the engine's
# cheaper (ts, event, first_target_slot, data), named only when read.
_EventRecord = tuple[Any, ...]


class ExecutionTracker:
    """Records routine starts and ends and the events they emit.

    Events are stored compactly (bounded by ``event_limit``) and turned into
    dicts when ``event_flow`` is read.
    """

    def __init__(
        self,
        flow_id: str = "",
        *,
        event_limit: int | None = DEFAULT_EVENT_LIMIT,
        routine_ids: Mapping[Any, str] | None = None,
    ) -> None:
        self.flow_id = flow_id
        # routine -> its id in the flow (the flow's live table): events name routines by it.
        self.routine_ids: Mapping[Any, str] = routine_ids if routine_ids is not None else {}
        self.routine_executions: dict[str, list[dict[str, Any]]] = {}
        self.performance_metrics: dict[str, Any] = {}
        #: The engine appends one compact ``(time, event, first slot, data)`` tuple per emit.
        self.emit_log: collections.deque[_EventRecord] = collections.deque(maxlen=event_limit)
        self._started: dict[int, float] = {}

    @property
    def event_flow(self) -> list[dict[str, Any]]:
        ids = self.routine_ids
        return [_event_dict(record, ids) for record in list(self.emit_log)]

    @event_flow.setter
    def event_flow(self, records: list[dict[str, Any]]) -> None:
        self.emit_log.clear()
        for record in records:
            stamp = record.get("timestamp")
            ts = datetime.fromisoformat(stamp).timestamp() if isinstance(stamp, str) else time.time()
            self.emit_log.append(
                (ts, record.get("source_routine_id"), record.get("event_name", ""),
                 record.get("target_routine_id"), record.get("data"))
            )

    def record_routine_start(self, routine_id: str, params: dict[str, Any] | None = None) -> None:
        record = {
            "routine_id": routine_id,
            "start_time": datetime.now().isoformat(),
            "params": params or {},
            "status": "running",
        }
        self._started[id(record)] = time.perf_counter()
        self.routine_executions.setdefault(routine_id, []).append(record)

    def record_routine_end(
        self, routine_id: str, status: str = "completed", result: Any = None, error: str | None = None
    ) -> None:
        """Close the latest record of ``routine_id``; does nothing if it has none."""
        records = self.routine_executions.get(routine_id)
        if not records:
            return
        record = records[-1]
        end = time.perf_counter()
        start = self._started.pop(id(record), None)
        record["end_time"] = datetime.now().isoformat()
        record["status"] = status
        if result is not None:
            record["result"] = result
        if error is not None:
            record["error"] = error
        if start is None:
            elapsed = (datetime.fromisoformat(record["end_time"])
                       - datetime.fromisoformat(record["start_time"])).total_seconds()
        else:
            elapsed = end - start
        # A back-to-back start and end must still show a positive duration.
        record["execution_time"] = max(elapsed, 1e-9)

    def record_event(
        self,
        source_routine_id: str | None,
        event_name: str,
        target_routine_id: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        self.emit_log.append((time.time(), source_routine_id, event_name, target_routine_id, data))

    def get_routine_performance(self, routine_id: str) -> dict[str, Any] | None:
        records = self.routine_executions.get(routine_id)
        if not records:
            return None
        total = len(records)
        completed = sum(1 for r in records if r.get("status") == "completed")
        failed = sum(1 for r in records if r.get("status") == "failed")
        times = [r["execution_time"] for r in records if "execution_time" in r]
        return {
            "total_executions": total,
            "completed": completed,
            "failed": failed,
            "success_rate": completed / total,
            "avg_execution_time": sum(times) / len(times) if times else 0,
            "min_execution_time": min(times) if times else 0,
            "max_execution_time": max(times) if times else 0,
        }

    def get_flow_performance(self) -> dict[str, Any]:
        averages = []
        for routine_id in self.routine_executions:
            perf = self.get_routine_performance(routine_id)
            if perf and perf["avg_execution_time"]:
                averages.append(perf["avg_execution_time"])
        total = sum(averages)
        return {
            "total_routines": len(self.routine_executions),
            "total_events": len(self.emit_log),
            "total_execution_time": total,
            "avg_routine_time": total / len(averages) if averages else 0,
        }

    def serialize(self) -> dict[str, Any]:
        """``flow_id``, ``routine_executions``, ``event_flow`` and ``performance_metrics``."""
        return serialize_tracker(self)

    def deserialize(self, data: dict[str, Any], registry: Any = None) -> ExecutionTracker:
        return deserialize_tracker(self, data)

    def __repr__(self) -> str:
        return f"ExecutionTracker[{self.flow_id}]"


def _routine_name(routine: Any, ids: Mapping[Any, str]) -> str | None:
    """The routine's id in the flow, else its own ``_id`` (a routine outside the flow)."""
    if routine is None:
        return None
    return ids.get(routine) or getattr(routine, "_id", None)


def _event_dict(record: _EventRecord, ids: Mapping[Any, str]) -> dict[str, Any]:
    if len(record) == 4:
        ts, event, slot, data = record
        source = _routine_name(event.routine, ids)
        name = event.name
        target = _routine_name(getattr(slot, "routine", None), ids)
    else:
        ts, source, name, target, data = record
    return {
        "timestamp": datetime.fromtimestamp(ts).isoformat(),
        "source_routine_id": source,
        "event_name": name,
        "target_routine_id": target,
        "data": data or {},
    }


# -- serialized form ---------------------------------------------------------------------------


def serialize_tracker(tracker: ExecutionTracker) -> dict[str, Any]:
    return {
        "_type": "ExecutionTracker",
        "flow_id": tracker.flow_id,
        "routine_executions": copy_data(tracker.routine_executions, "ExecutionTracker routine_executions"),
        "event_flow": tracker.event_flow,
        "performance_metrics": copy_data(tracker.performance_metrics, "ExecutionTracker performance_metrics"),
    }


def deserialize_tracker(tracker: ExecutionTracker, data: Any) -> ExecutionTracker:
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
