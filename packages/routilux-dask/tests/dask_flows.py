"""The routines and flows the tests run on the dask executor, and helpers to run them.

Imported by the test modules as ``dask_flows`` (conftest puts this directory on ``sys.path``).
The routines travel to the workers by value: the workers cannot import this module.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Any

import cloudpickle

from routilux import ErrorHandler, Flow, JobState, Routine

cloudpickle.register_pickle_by_value(sys.modules[__name__])

TIMEOUT = 60.0


# -- routines ------------------------------------------------------------------------------------


class Source(Routine):
    """Emits ``n`` items: the fan-out."""

    def __init__(self) -> None:
        super().__init__()
        self.define_slot("trigger", self.start)
        self.define_event("item", ["index"])

    def start(self, n: int = 0, **_: Any) -> None:
        for index in range(n):
            self.emit("item", index=index)


class Square(Routine):
    """Pure-Python work on a worker; the result leaves as an emit."""

    def __init__(self) -> None:
        super().__init__()
        self.define_slot("input", self.square)
        self.define_event("value", ["index", "square", "pid"])

    def square(self, index: int) -> None:
        self.emit("value", index=index, square=index * index, pid=os.getpid())


class Gather(Routine):
    """The fan-in: the append merge happens in the flow's process, so every activation sees all so far."""

    def __init__(self, expected: int) -> None:
        super().__init__()
        self.set_config(expected=expected)
        self.define_slot("input", self.gather, merge_strategy="append")
        self.define_event("total", ["squares", "total"])

    def gather(self, square: list[int], **_: Any) -> None:
        if len(square) == self.get_config("expected"):
            self.emit("total", squares=sorted(square), total=sum(square))


class Flaky(Routine):
    """Fails until ``failures`` attempts were made; attempts are counted with files in ``workdir``."""

    def __init__(self, workdir: str, failures: int) -> None:
        super().__init__()
        self.set_config(workdir=workdir, failures=failures)
        self.define_slot("input", self.handle)
        self.define_event("done", ["index", "attempt"])

    def handle(self, index: int) -> None:
        workdir = Path(self.get_config("workdir"))
        attempt = len(list(workdir.glob(f"attempt-{index}-*"))) + 1
        (workdir / f"attempt-{index}-{attempt}").touch()
        if attempt <= self.get_config("failures"):
            raise ValueError(f"flaky failure of item {index} on attempt {attempt}")
        self.emit("done", index=index, attempt=attempt)


class FailOdd(Routine):
    """Fails on odd items, passes even ones on."""

    def __init__(self) -> None:
        super().__init__()
        self.define_slot("input", self.handle)
        self.define_event("even", ["index"])

    def handle(self, index: int) -> None:
        if index % 2:
            raise ValueError(f"odd item {index}")
        self.emit("even", index=index)


class Dying(Routine):
    """Kills its worker process; with ``once`` only on the first attempt (a marker file remembers it)."""

    def __init__(self, marker: str, once: bool) -> None:
        super().__init__()
        self.set_config(marker=marker, once=once)
        self.define_slot("input", self.handle)
        self.define_event("survived", ["index"])

    def handle(self, index: int) -> None:
        marker = Path(self.get_config("marker"))
        if not (self.get_config("once") and marker.exists()):
            marker.touch()
            os._exit(1)
        self.emit("survived", index=index)


class Locked(Routine):
    """Holds a lock: cannot be pickled."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.define_slot("input", self.handle)

    def handle(self, index: int) -> None:
        pass


class Counter(Routine):
    """Mutates its own state: stays on the worker."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.define_slot("input", self.handle)
        self.define_event("counted", ["calls"])

    def handle(self, index: int) -> None:
        self.calls += 1
        self.emit("counted", calls=self.calls)


class OutputSource(Source):
    """The fan-out, giving the job an output handler first (the entry runs before any other routine)."""

    def __init__(self, output_handler: Any) -> None:
        super().__init__()
        self._output_handler = output_handler

    def start(self, n: int = 0, **_: Any) -> None:
        context = self.get_execution_context()
        assert context is not None, "the entry runs in the job"
        context.job_state.set_output_handler(self._output_handler)
        super().start(n)


class Reporter(Routine):
    """Sends to the job from wherever it runs: an output, a deferred event and its routine's state."""

    def __init__(self) -> None:
        super().__init__()
        self.define_slot("input", self.report)
        self.define_event("later", ["index"])

    def report(self, index: int) -> None:
        self.send_output("square", index=index, square=index * index, pid=os.getpid())
        self.emit_deferred_event("later", index=index)
        context = self.get_execution_context()
        assert context is not None, "a remote handler has a context too"
        state = {"status": "completed", "pid": os.getpid()}
        context.job_state.update_routine_state(context.routine_id, state)


class SharedWriter(Routine):
    """Writes the job's shared data, which a handler on a worker does not have."""

    def __init__(self) -> None:
        super().__init__()
        self.define_slot("input", self.write)

    def write(self, index: int) -> None:
        context = self.get_execution_context()
        assert context is not None, "a remote handler has a context too"
        context.job_state.shared_data["seen"] = index


# -- helpers ---------------------------------------------------------------------------------------


def dask_flow(address: str, max_workers: int = 4, **options: Any) -> Flow:
    return Flow(
        execution_strategy="dask", max_workers=max_workers, executor_options={"address": address, **options}
    )


def run(flow: Flow, n: int) -> JobState:
    job = flow.execute("src", entry_params={"n": n})
    assert JobState.wait_for_completion(flow, job, timeout=TIMEOUT), f"job hung with status {job.status}"
    return job


def emits(job: JobState, routine_id: str, event: str) -> list[dict[str, Any]]:
    return [r.data for r in job.get_execution_history(routine_id) if r.event_name == event]


def fan_out_fan_in(flow: Flow, n: int) -> Flow:
    flow.add_routine(Source(), "src")
    flow.add_routine(Square(), "square")
    flow.add_routine(Gather(n), "gather")
    flow.connect("src", "item", "square", "input")
    flow.connect("square", "value", "gather", "input")
    return flow


def with_routine(flow: Flow, routine: Routine, handler: ErrorHandler | None = None) -> Flow:
    flow.add_routine(Source(), "src")
    flow.add_routine(routine, "worker")
    if handler is not None:
        routine.set_error_handler(handler)
    flow.connect("src", "item", "worker", "input")
    return flow
