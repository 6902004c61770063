"""Routines for the remote-executor tests.

They live at module level so that a pickled ``RemoteCall`` refers to them by import path. State a
handler changes on a remote copy stays there, so the sink reports into the module-level
``RECEIVED`` list (the "remote" side is a thread of this process).
"""

from __future__ import annotations

import threading
from typing import Any

from routilux import Routine

RECEIVED: list[dict[str, Any]] = []
RECEIVED_LOCK = threading.Lock()


class RemoteSource(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.define_slot("trigger", self.on_trigger)
        self.define_event("out", ["n", "tag"])

    def on_trigger(self, count: int, tag: str = "") -> None:
        for n in range(count):
            self.emit("out", n=n, tag=tag)


class RemoteDoubler(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.define_slot("input", self.on_input)
        self.define_event("out", ["n", "doubled", "tag"])

    def on_input(self, n: int, tag: str) -> None:
        self.emit("out", n=n, doubled=2 * n, tag=tag)


class RemoteSink(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.define_slot("input", self.on_input)

    def on_input(self, n: int, doubled: int, tag: str) -> None:
        with RECEIVED_LOCK:
            RECEIVED.append(
                {"n": n, "doubled": doubled, "tag": tag, "thread": threading.current_thread().name}
            )


class RemoteFailer(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.define_slot("input", self.on_input)

    def on_input(self, n: int, tag: str) -> None:
        raise RuntimeError(f"remote failure {n}")


class RemoteReporter(Routine):
    """Sends what it receives to the job's output (from wherever its handler runs)."""

    def __init__(self) -> None:
        super().__init__()
        self.define_slot("input", self.on_input)

    def on_input(self, n: int, doubled: int, tag: str) -> None:
        self.send_output("doubled", n=n, doubled=doubled)
