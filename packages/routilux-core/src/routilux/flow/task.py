"""Slot activation tasks as 0.10 exposed them.

The engine itself queues plain tuples; :class:`SlotActivationTask` is the
public, descriptive form (and what ``JobState.pending_tasks`` entries describe).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class TaskPriority(enum.Enum):
    HIGH = 1
    NORMAL = 2
    LOW = 3


@dataclass
class SlotActivationTask:
    """One pending delivery of ``data`` to ``slot`` (through ``connection``) for ``job_state``."""

    slot: Any
    data: dict[str, Any]
    connection: Any = None
    priority: TaskPriority = TaskPriority.NORMAL
    retry_count: int = 0
    max_retries: int = 0
    created_at: Any = None
    job_state: Any = field(default=None)

    def __post_init__(self) -> None:
        if self.created_at is None:
            self.created_at = datetime.now()

    def __lt__(self, other: SlotActivationTask) -> bool:
        return self.priority.value < other.priority.value


__all__ = ["SlotActivationTask", "TaskPriority"]

