"""ExecutionRecord: one entry of a job's execution history, and its serialized form."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from routilux.serialization.values import check_type, copy_data, field, parse_datetime, require_mapping

__all__ = ["ExecutionRecord", "deserialize_record", "read_record", "serialize_record"]


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
