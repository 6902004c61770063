"""How batches reach the workers: direct calls (no scheduler task) or dask tasks, and their options."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from dask_flows import TIMEOUT, Square, dask_flow, emits, fan_out_fan_in, run, with_routine
from distributed import Client, LocalCluster
from distributed.diagnostics.plugin import SchedulerPlugin

from routilux import Flow
from routilux_dask import DaskExecutor


class TaskCounter(SchedulerPlugin):
    """Counts the tasks clients submit to the scheduler."""

    name = "routilux-test-task-counter"

    def __init__(self) -> None:
        self.tasks = 0

    def update_graph(self, scheduler: Any, *, keys: Any = (), **kwargs: Any) -> None:
        self.tasks += len(keys)


@pytest.fixture
def task_counter(cluster: LocalCluster) -> Iterator[TaskCounter]:
    counter = TaskCounter()
    cluster.scheduler.add_plugin(counter)
    try:
        yield counter
    finally:
        cluster.scheduler.remove_plugin(name=counter.name)


@pytest.mark.parametrize("direct, tasks_expected", [(True, False), (False, True)])
def test_batches_go_straight_to_the_workers_unless_told_otherwise(
    address: str, flows: Any, task_counter: TaskCounter, direct: bool, tasks_expected: bool
) -> None:
    n = 20
    flow = flows(fan_out_fan_in(dask_flow(address, max_workers=6, direct=direct), n))
    job = run(flow, n)
    assert job.status == "completed", job.routine_states
    (total,) = emits(job, "gather", "total")
    assert total == {"squares": [i * i for i in range(n)], "total": sum(i * i for i in range(n))}
    pids = {record["pid"] for record in emits(job, "square", "value")}
    assert pids and os.getpid() not in pids  # the handlers ran in the worker processes either way
    # Direct calls leave the scheduler out; without them every batch is a task of its own.
    assert (task_counter.tasks > 0) is tasks_expected, task_counter.tasks


def test_one_activation_in_flight_runs_in_submit_order_directly(
    address: str, flows: Any, task_counter: TaskCounter
) -> None:
    n = 10
    flow = flows(fan_out_fan_in(dask_flow(address, max_workers=1), n))
    job = run(flow, n)
    assert [record["index"] for record in emits(job, "square", "value")] == list(range(n))
    assert task_counter.tasks == 0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"direct": "yes"}, "direct must be true or false, got 'yes'"),
        ({"batch_interval": -0.001}, "batch_interval must be seconds from 0 to 1, got -0.001"),
        ({"batch_interval": "1ms"}, "batch_interval must be seconds from 0 to 1, got '1ms'"),
        ({"batch_interval": True}, "batch_interval must be seconds from 0 to 1, got True"),
    ],
)
def test_bad_dispatch_options_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DaskExecutor(**kwargs)


def test_a_worker_that_joins_later_gets_the_handler_and_work(flows: Any) -> None:
    # A cluster of its own: the session's keeps its two workers for the other tests.
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=50) as cluster, Client(cluster, set_as_default=False) as client:
        counter = TaskCounter()
        cluster.scheduler.add_plugin(counter)
        n = 16
        flow = flows(with_routine(Flow(execution_strategy="dask", max_workers=8,
                                       executor_options={"client": client}), Square()))

        def squares() -> set[int]:
            job = run(flow, n)
            assert job.status == "completed", job.routine_states
            values = emits(job, "worker", "value")
            assert sorted(v["square"] for v in values) == [i * i for i in range(n)]
            return {v["pid"] for v in values}

        first = squares()
        assert len(first) == 1
        cluster.scale(2)
        client.wait_for_workers(2, timeout=TIMEOUT)
        # The executor learns of the new worker in the background; run until it has been used.
        seen = set(first)
        for _ in range(500):
            seen |= squares()
            if len(seen) == 2:
                break
        assert len(seen) == 2, "the worker that joined never ran a batch"
        assert counter.tasks == 0  # and it was called directly, its handler installed when it joined
        flow.shutdown(wait=True, timeout=TIMEOUT)
