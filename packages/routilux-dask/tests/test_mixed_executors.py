"""One job across executors: the work routine on dask, the source and the fan-in in this process."""

from __future__ import annotations

import os
from typing import Any

from dask_flows import Gather, Source, Square, emits, run

from routilux import Flow


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
