"""Routines for the per-routine executor tests, referenced from flow files as ``executor_fixtures:<Class>``.

Each emit carries where its handler ran (the thread's name and the process id), so
a test sees which executor ran each routine. The tests copy this file next to the
flow files they write.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from routilux import Routine


def where() -> dict[str, Any]:
    """The thread and process the calling handler runs in."""
    return {"thread": threading.current_thread().name, "pid": os.getpid()}


class Square(Routine):
    """``item`` -> ``value`` (its square), with where it ran."""

    def __init__(self) -> None:
        super().__init__()
        self.define_slot("input", self._on_item)
        self.define_event("value", ["item", "value", "thread", "pid"])

    def _on_item(self, item: int) -> None:
        self.emit("value", item=item, value=item * item, **where())


class Tag(Routine):
    """``value`` -> ``tagged`` (``"v=<value>"``), with where it ran."""

    def __init__(self) -> None:
        super().__init__()
        self.define_slot("input", self._on_value)
        self.define_event("tagged", ["tag", "thread", "pid"])

    def _on_value(self, value: int) -> None:
        self.emit("tagged", tag=f"v={value}", **where())
