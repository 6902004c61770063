"""Output handlers: where ``Routine.send_output`` delivers, attached per JobState."""

from __future__ import annotations

import abc
from collections.abc import Callable
from datetime import datetime
from typing import Any


class OutputHandler(abc.ABC):
    """Receives the outputs that routines send during a job."""

    @abc.abstractmethod
    def handle(
        self, job_id: str, routine_id: str, output_type: str, data: Any, timestamp: datetime | None = None
    ) -> None:
        """Handle one output."""


class QueueOutputHandler(OutputHandler):
    """Puts each output on a queue as a dict (timestamp as an ISO string)."""

    def __init__(self, queue: Any) -> None:
        self.queue = queue

    def handle(
        self, job_id: str, routine_id: str, output_type: str, data: Any, timestamp: datetime | None = None
    ) -> None:
        self.queue.put(
            {
                "job_id": job_id,
                "routine_id": routine_id,
                "output_type": output_type,
                "data": data,
                "timestamp": (timestamp or datetime.now()).isoformat(),
            }
        )


class CallbackOutputHandler(OutputHandler):
    """Calls ``callback(job_id, routine_id, output_type, data, timestamp)`` for each output."""

    def __init__(self, callback: Callable[[str, str, str, Any, datetime], Any]) -> None:
        self.callback = callback

    def handle(
        self, job_id: str, routine_id: str, output_type: str, data: Any, timestamp: datetime | None = None
    ) -> None:
        self.callback(job_id, routine_id, output_type, data, timestamp or datetime.now())


class NullOutputHandler(OutputHandler):
    """Discards outputs."""

    def handle(
        self, job_id: str, routine_id: str, output_type: str, data: Any, timestamp: datetime | None = None
    ) -> None:
        return None
