"""One job across executors: the work routine on dask, the source and the fan-in in this process."""

from __future__ import annotations

import os
import threading
from typing import Any

from dask_flows import TIMEOUT, Gather, Source, Square, emits, run

from routilux import Flow, JobState, Routine


def mixed_flow(address: str, n: int) -> Flow:
    flow = Flow(flow_id="mixed-dask", execution_strategy="concurrent", max_workers=2)
    flow.add_routine(Source(), "src")
    flow.add_routine(Square(), "square")
    flow.add_routine(Gather(n), "gather")
    flow.connect("src", "item", "square", "input")
    flow.connect("square", "value", "gather", "input")
    flow.set_routine_executor("square", "dask", max_workers=4, address=address)
    return flow


def test_only_the_heavy_routine_goes_to_the_cluster(address: str, flows: Any) -> None:
    n = 24
    flow = flows(mixed_flow(address, n))
    job = run(flow, n)
    assert job.status == "completed"
    (total,) = emits(job, "gather", "total")
    assert total == {"squares": sorted(i * i for i in range(n)), "total": sum(i * i for i in range(n))}
    square_pids = {record["pid"] for record in emits(job, "square", "value")}
    assert os.getpid() not in square_pids  # every square ran on a worker process
    stats = job.routine_stats()
    assert stats["square"].activations == n and stats["gather"].activations == n
    assert flow.routine_executors["square"].name == "dask"


class Relay(Routine):
    """Passes a square on from whatever thread its executor runs it on, and says which one.

    With a ``gate``, the activation of the first item sets ``entered`` and waits for the gate:
    until then the job cannot complete, so a test can pause or cancel it mid-way.
    """

    def __init__(self, gate: threading.Event | None = None) -> None:
        super().__init__()
        self.gate, self.entered = gate, threading.Event()
        self.define_slot("input", self.relay)
        self.define_event("value", ["square", "thread", "pid"])

    def relay(self, index: int, square: int, **_: Any) -> None:
        if self.gate is not None and index == 0:
            self.entered.set()
            assert self.gate.wait(TIMEOUT), "the test never opened the gate"
        self.emit("value", square=square, thread=threading.current_thread().name, pid=os.getpid())


def three_executor_flow(address: str, n: int, relay: Relay | None = None) -> Flow:
    """src and gather on the flow's sequential executor, square on dask, relay on concurrent threads."""
    flow = Flow(flow_id="three-executors", execution_strategy="sequential")
    flow.add_routine(Source(), "src")
    flow.add_routine(Square(), "square")
    flow.add_routine(relay or Relay(), "relay")
    flow.add_routine(Gather(n), "gather")
    flow.connect("src", "item", "square", "input")
    flow.connect("square", "value", "relay", "input")
    flow.connect("relay", "value", "gather", "input")
    flow.set_routine_executor("square", "dask", max_workers=4, address=address)
    flow.set_routine_executor("relay", "concurrent", max_workers=3)
    return flow


def expected_total(n: int) -> dict[str, Any]:
    return {"squares": [i * i for i in range(n)], "total": sum(i * i for i in range(n))}


def test_one_job_spans_the_sequential_concurrent_and_dask_executors(address: str, flows: Any) -> None:
    n = 20
    job = run(flows(three_executor_flow(address, n)), n)
    assert job.status == "completed", job.routine_states
    assert emits(job, "gather", "total") == [expected_total(n)]
    assert os.getpid() not in {record["pid"] for record in emits(job, "square", "value")}
    relayed = emits(job, "relay", "value")
    assert {record["pid"] for record in relayed} == {os.getpid()}
    assert all(record["thread"].startswith("routilux-conc-worker-") for record in relayed)
    stats = job.routine_stats()
    assert [stats[rid].activations for rid in ("src", "square", "relay", "gather")] == [1, n, n, n]


def gated_job(address: str, flows: Any, n: int) -> tuple[Flow, JobState, threading.Event]:
    """A job of ``n`` items over the three executors, started and held at its relay's gate."""
    gate = threading.Event()
    relay = Relay(gate)
    flow = flows(three_executor_flow(address, n, relay))
    job = flow.execute("src", entry_params={"n": n})
    assert relay.entered.wait(TIMEOUT)
    return flow, job, gate


def test_pause_and_resume_across_the_three_executors(address: str, flows: Any) -> None:
    n = 24
    flow, job, gate = gated_job(address, flows, n)
    # The gated relay still runs, so the pause cannot be complete at once; the job is paused anyway.
    assert flow.pause(job, reason="test", timeout=0) is False
    gate.set()
    assert job.status == "paused"
    flow.resume(job)
    assert JobState.wait_for_completion(flow, job, timeout=TIMEOUT)
    assert job.status == "completed"
    assert emits(job, "gather", "total") == [expected_total(n)]
    assert job.routine_stats()["square"].activations == n


def test_cancel_ends_a_job_spread_over_executors(address: str, flows: Any) -> None:
    n = 24
    flow, job, gate = gated_job(address, flows, n)
    flow.cancel(job, reason="enough")
    gate.set()
    assert JobState.wait_for_completion(flow, job, timeout=TIMEOUT)
    assert job.status == "cancelled"
    assert emits(job, "gather", "total") == []
