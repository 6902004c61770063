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


class RemoteDeferrer(Routine):
    """Defers an event and records its routine's state, from wherever its handler runs."""

    def __init__(self) -> None:
        super().__init__()
        self.define_slot("input", self.on_input)
        self.define_event("later", ["n"])

    def on_input(self, n: int, tag: str) -> None:
        self.emit_deferred_event("later", n=n)
        context = self.get_execution_context()
        assert context is not None
        context.job_state.update_routine_state(context.routine_id, {"status": "completed", "last": n})


class RemoteSnooper(Routine):
    """Uses parts of the job and flow that only exist where the job lives (``tag`` says which),
    or (``probe``) says whether its job has shared data."""

    def __init__(self) -> None:
        super().__init__()
        self.define_slot("input", self.on_input)
        self.define_event("probed", ["has_shared_data"])

    def on_input(self, n: int, tag: str) -> None:
        context = self.get_execution_context()
        assert context is not None
        if tag == "probe":
            self.emit("probed", has_shared_data=hasattr(context.job_state, "shared_data"))
        elif tag == "flow":
            context.flow.routines["other"] = None
        else:
            context.job_state.shared_data["n"] = n


class RemoteTotal(Routine):
    """An ``append`` slot run remotely: each run sends the count and total of the values so far."""

    def __init__(self) -> None:
        super().__init__()
        self.define_slot("input", self.on_input, merge_strategy="append")

    def on_input(self, n: list[int], doubled: list[int], tag: list[str]) -> None:
        self.send_output("total", count=len(doubled), total=sum(doubled))
