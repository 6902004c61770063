"""The routines and flows the workloads run (public API only), and running one job of them."""

from __future__ import annotations

import time
from typing import Any

from routilux import Flow, JobState, Routine

from .sizes import CHAIN_LENGTH, FAN_OUT, IO_SLEEP, WAIT_TIMEOUT


class Source(Routine):
    """Entry routine: its trigger emits ``count`` messages ``value=0..count-1`` on ``out``."""

    def __init__(self) -> None:
        super().__init__()
        self.define_slot("trigger", handler=self._on_trigger)
        self.define_event("out", ["value"])

    def _on_trigger(self, count: int = 1, start: int = 0) -> None:
        for value in range(start, start + count):
            self.emit("out", value=value)


class Relay(Routine):
    """Adds one to ``value`` and passes it on."""

    def __init__(self) -> None:
        super().__init__()
        self.define_slot("in", handler=self._on_value)
        self.define_event("out", ["value"])

    def _on_value(self, value: int) -> None:
        self.emit("out", value=value + 1)


class Sink(Routine):
    """Appends every ``value`` it receives (and its own tag) to a shared list."""

    def __init__(self, seen: list[Any], tag: int = 0) -> None:
        super().__init__()
        self._seen = seen
        self._tag = tag
        self.define_slot("in", handler=self._on_value)

    def _on_value(self, value: int) -> None:
        self._seen.append((self._tag, value))


class Sleeper(Routine):
    """Sleeps ``IO_SLEEP`` seconds (an I/O wait), then records that it ran."""

    def __init__(self, seen: list[Any], tag: int) -> None:
        super().__init__()
        self._seen = seen
        self._tag = tag
        self.define_slot("in", handler=self._on_value)

    def _on_value(self, value: int) -> None:
        time.sleep(IO_SLEEP)
        self._seen.append(self._tag)


def chain_flow(seen: list[Any], length: int = CHAIN_LENGTH, flow_id: str = "bench-chain",
               strategy: str = "sequential") -> Flow:
    """source -> relay x (length - 1) -> sink: ``length`` activations per message, length + 1 routines."""
    flow = Flow(flow_id=flow_id, execution_strategy=strategy)
    flow.add_routine(Source(), "src")
    previous = "src"
    for index in range(length - 1):
        rid = f"relay{index}"
        flow.add_routine(Relay(), rid)
        flow.connect(previous, "out", rid, "in")
        previous = rid
    flow.add_routine(Sink(seen), "sink")
    flow.connect(previous, "out", "sink", "in")
    return flow


def fanout_flow(seen: list[Any]) -> Flow:
    """source -> FAN_OUT sinks, sequential: FAN_OUT activations per message."""
    flow = Flow(flow_id="bench-fanout", execution_strategy="sequential")
    flow.add_routine(Source(), "src")
    for index in range(FAN_OUT):
        flow.add_routine(Sink(seen, tag=index), f"sink{index}")
        flow.connect("src", "out", f"sink{index}", "in")
    return flow


def run_job(flow: Flow, params: dict[str, Any]) -> Any:
    """Run one job from ``src`` and return its JobState; raise unless it completed."""
    job = flow.execute("src", entry_params=params)
    finished = JobState.wait_for_completion(flow, job, timeout=WAIT_TIMEOUT)
    if not finished or job.status != "completed":
        raise RuntimeError(f"job did not complete: finished={finished} status={job.status!r}")
    return job


def pair_flow(flow_id: str, seen: list[Any]) -> Flow:
    """src -> sink, sequential: one activation of each per job."""
    flow = Flow(flow_id=flow_id, execution_strategy="sequential")
    flow.add_routine(Source(), "src")
    flow.add_routine(Sink(seen), "sink")
    flow.connect("src", "out", "sink", "in")
    return flow
