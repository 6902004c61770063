"""The dask executor on a LocalCluster of worker processes started by the tests (conftest)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cloudpickle
import pytest
from dask_flows import (
    TIMEOUT,
    Counter,
    Dying,
    FailOdd,
    Flaky,
    Locked,
    dask_flow,
    emits,
    fan_out_fan_in,
    run,
    with_routine,
)

from routilux import ErrorHandler, Flow, JobState, RemoteCall
from routilux.plugins import get_registry
from routilux_dask import DaskExecutor, RoutinePicklingError, dumps_call
from routilux_dask.local_cluster import close_shared_clusters

# -- registration and options ---------------------------------------------------------------------


def test_registered_through_the_entry_point() -> None:
    spec = get_registry().get_executor("dask")
    assert spec.factory.__module__ == "routilux_dask.executor"
    executor = spec.factory(max_workers=3, address="tcp://127.0.0.1:1")
    assert isinstance(executor, DaskExecutor) and executor.max_workers == 3


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"max_workers": 0}, "max_workers"),
        ({"n_workers": 0}, "n_workers"),
        ({"threads_per_worker": "2"}, "threads_per_worker"),
        ({"address": "tcp://x:1", "client": object()}, "either 'address' or 'client'"),
    ],
)
def test_bad_options_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DaskExecutor(**kwargs)


def test_unknown_option_is_refused() -> None:
    with pytest.raises(TypeError, match="n_workerz"):
        get_registry().get_executor("dask").factory(max_workers=2, n_workerz=3)


def test_a_misspelt_option_is_refused_when_a_routine_chooses_dask() -> None:
    flow = with_routine(Flow(flow_id="misspelt"), Counter())
    with pytest.raises(TypeError, match=r"executor 'dask' has no option 'n_worker'; its options: address, "
                                        r"client, n_workers, "):
        flow.set_routine_executor("worker", "dask", n_worker=2)
    assert flow.routine_executors == {}


# -- results ---------------------------------------------------------------------------------------


def test_fan_out_fan_in_gives_the_sequential_result(address: str, flows: Any) -> None:
    n = 24
    sequential = flows(fan_out_fan_in(Flow(execution_strategy="sequential"), n))
    remote = flows(fan_out_fan_in(dask_flow(address), n))
    expected_job = run(sequential, n)
    job = run(remote, n)
    assert (expected_job.status, job.status) == ("completed", "completed")
    expected = emits(expected_job, "gather", "total")
    assert len(expected) == 1 and expected[0]["total"] == sum(i * i for i in range(n))
    assert emits(job, "gather", "total") == expected
    # The handlers really ran in the worker processes.
    pids = {record["pid"] for record in emits(job, "square", "value")}
    assert os.getpid() not in pids


def test_max_workers_one_keeps_submit_order(address: str, flows: Any) -> None:
    flow = flows(fan_out_fan_in(dask_flow(address, max_workers=1), 12))
    job = run(flow, 12)
    assert [record["index"] for record in emits(job, "square", "value")] == list(range(12))


def test_state_mutated_on_a_worker_does_not_come_back(address: str, flows: Any) -> None:
    counter = Counter()
    flow = flows(with_routine(dask_flow(address, max_workers=1), counter))
    job = run(flow, 3)
    assert job.status == "completed"
    # Each activation ran on a fresh snapshot of the routine; the local one is untouched.
    assert [record["calls"] for record in emits(job, "worker", "counted")] == [1, 1, 1]
    assert counter.calls == 0


# -- error strategies ------------------------------------------------------------------------------


def test_stop_strategy_fails_the_job(address: str, flows: Any) -> None:
    flow = flows(with_routine(dask_flow(address), FailOdd(), ErrorHandler(strategy="stop")))
    job = run(flow, 4)
    assert job.status == "failed"
    state = job.routine_states["worker"]
    assert state["status"] == "failed" and "odd item" in state["error"]


def test_continue_strategy_goes_on(address: str, flows: Any) -> None:
    flow = flows(with_routine(dask_flow(address), FailOdd(), ErrorHandler(strategy="continue")))
    job = run(flow, 6)
    assert job.status == "completed"
    assert sorted(record["index"] for record in emits(job, "worker", "even")) == [0, 2, 4]
    errors = [r.data["error"] for r in job.get_execution_history("worker") if r.event_name == "error"]
    assert sorted(errors) == ["odd item 1", "odd item 3", "odd item 5"]


def test_skip_strategy_behaves_as_in_sequential(address: str, flows: Any) -> None:
    def outcome(flow: Flow) -> Any:
        job = run(flows(with_routine(flow, FailOdd(), ErrorHandler(strategy="skip"))), 4)
        history = job.get_execution_history("worker")
        errors = sorted(r.data["error"] for r in history if r.event_name == "error")
        evens = sorted(record["index"] for record in emits(job, "worker", "even"))
        return job.status, job.routine_states.get("worker"), errors, evens

    expected = outcome(Flow(execution_strategy="sequential"))
    assert expected[0] == "completed" and expected[2] == ["odd item 1", "odd item 3"]
    assert outcome(dask_flow(address)) == expected


def test_retry_with_backoff_succeeds(address: str, flows: Any, tmp_path: Path) -> None:
    handler = ErrorHandler(strategy="retry", max_retries=3, retry_delay=0.05, retry_backoff=2.0)
    flow = flows(with_routine(dask_flow(address), Flaky(str(tmp_path), failures=2), handler))
    job = run(flow, 1)
    assert job.status == "completed"
    assert emits(job, "worker", "done") == [{"index": 0, "attempt": 3}]
    assert handler.retry_count == 2
    # The engine waited retry_delay * backoff ** k between the attempts (lower bounds only).
    errors = [r.timestamp for r in job.get_execution_history("worker") if r.event_name == "error"]
    assert len(errors) == 2
    done = [r.timestamp for r in job.get_execution_history("worker") if r.event_name == "done"][0]
    assert (errors[1] - errors[0]).total_seconds() >= 0.05
    assert (done - errors[1]).total_seconds() >= 0.1


def test_retry_exhausted_fails_the_job(address: str, flows: Any, tmp_path: Path) -> None:
    handler = ErrorHandler(strategy="retry", max_retries=1, retry_delay=0.01, is_critical=True)
    flow = flows(with_routine(dask_flow(address), Flaky(str(tmp_path), failures=5), handler))
    job = run(flow, 1)
    assert job.status == "failed"
    assert "attempt 2" in job.routine_states["worker"]["error"]
    assert len(list(tmp_path.glob("attempt-0-*"))) == 2


# -- the engine's figures (JobState.routine_stats) ---------------------------------------------------


def _counts(job: JobState) -> dict[str, tuple]:
    fields = ("activations", "succeeded", "failed", "retries", "unhandled_errors", "accepted_errors",
              "queued")
    return {rid: tuple(getattr(s, name) for name in fields) for rid, s in job.routine_stats().items()}


def test_routine_stats_are_those_of_the_sequential_run(address: str, flows: Any) -> None:
    n = 12
    expected = run(flows(fan_out_fan_in(Flow(execution_strategy="sequential"), n)), n)
    job = run(flows(fan_out_fan_in(dask_flow(address), n)), n)
    assert _counts(job) == _counts(expected)
    assert _counts(job)["square"] == (n, n, 0, 0, 0, 0, 0)
    # Measured on the workers and brought back with each result.
    assert job.routine_stats()["square"].handler_seconds > 0


def test_retries_and_errors_on_the_workers_are_counted(address: str, flows: Any, tmp_path: Path) -> None:
    handler = ErrorHandler(strategy="retry", max_retries=3, retry_delay=0)
    flaky = run(flows(with_routine(dask_flow(address), Flaky(str(tmp_path), failures=2), handler)), 1)
    assert flaky.status == "completed"
    assert _counts(flaky)["worker"] == (3, 1, 2, 2, 0, 0, 0)
    unhandled = run(flows(with_routine(dask_flow(address), FailOdd())), 6)
    assert unhandled.status == "completed"
    assert _counts(unhandled)["worker"] == (6, 3, 3, 0, 3, 0, 0)
    accepted = run(flows(with_routine(dask_flow(address), FailOdd(), ErrorHandler(strategy="continue"))), 4)
    assert _counts(accepted)["worker"] == (4, 2, 2, 0, 0, 2, 0)


# -- pickling ----------------------------------------------------------------------------------------


def test_unpicklable_routine_gives_a_clear_error(
    address: str, flows: Any, caplog: pytest.LogCaptureFixture
) -> None:
    flow = flows(with_routine(dask_flow(address), Locked(), ErrorHandler(strategy="stop")))
    with caplog.at_level(logging.ERROR, logger="routilux_dask"):
        job = run(flow, 1)
    assert job.status == "failed"
    error = job.routine_states["worker"]["error"]
    assert "routine 'worker' (Locked) cannot be pickled for the dask executor" in error
    assert "lock" in error
    assert any("'worker' (Locked) cannot be pickled" in r.getMessage() for r in caplog.records)


def test_dumps_call_names_the_routine() -> None:
    routine = Locked()
    with pytest.raises(RoutinePicklingError, match=rf"routine '{routine._id}' \(Locked\) cannot be pickled"):
        dumps_call(RemoteCall(routine=routine, slot_name="input", merged={"index": 1}))


def test_snapshot_leaves_the_flow_and_the_graph_behind(address: str, flows: Any) -> None:
    # A routine wired into a running flow (whose executor holds a dask client) still pickles:
    # the snapshot keeps the routine, not its flow nor its neighbours.
    flow = flows(fan_out_fan_in(dask_flow(address), 2))
    run(flow, 2)
    square = flow.routines["square"]
    assert square._current_flow is flow
    call = RemoteCall(routine=square, slot_name="input", merged={"index": 3})
    restored = cloudpickle.loads(dumps_call(call))
    assert restored.routine._current_flow is None
    assert restored.routine._slots["input"].connected_events == []
    assert restored.routine._events["value"].connected_slots == []
    assert restored.run().emits == (("value", {"index": 3, "square": 9, "pid": os.getpid()}),)


# -- lost workers ------------------------------------------------------------------------------------


def test_worker_killed_once_is_retried_by_the_cluster(address: str, flows: Any, tmp_path: Path) -> None:
    marker = tmp_path / "died"
    flow = flows(with_routine(dask_flow(address), Dying(str(marker), once=True)))
    job = run(flow, 1)
    assert marker.exists(), "the handler did not kill its worker"
    assert job.status == "completed"
    assert emits(job, "worker", "survived") == [{"index": 0}]


def test_worker_killed_every_time_fails_the_job(address: str, flows: Any, tmp_path: Path) -> None:
    flow = flows(with_routine(dask_flow(address), Dying(str(tmp_path / "died"), once=False),
                              ErrorHandler(strategy="stop")))
    job = run(flow, 1)
    assert job.status == "failed"
    error = job.routine_states["worker"]["error"]
    assert "worker running routine 'worker' (Dying) died" in error


def test_worker_killed_every_time_with_retry_strategy_ends(address: str, flows: Any, tmp_path: Path) -> None:
    handler = ErrorHandler(strategy="retry", max_retries=1, retry_delay=0.01, is_critical=True)
    flow = flows(with_routine(dask_flow(address), Dying(str(tmp_path / "died"), once=False), handler))
    job = run(flow, 1)
    assert job.status == "failed"
    assert handler.retry_count == 1
    assert "(Dying) died" in job.routine_states["worker"]["error"]


# -- pause, resume, cancel -----------------------------------------------------------------------------


def test_pause_then_resume_gives_the_full_result(address: str, flows: Any) -> None:
    n = 16
    flow = flows(fan_out_fan_in(dask_flow(address, max_workers=2), n))
    job = flow.execute("src", entry_params={"n": n})
    assert flow.pause(job, reason="test", timeout=TIMEOUT) is True  # nothing of the job runs now
    assert job.status == "paused"
    # Nothing of the job is in flight while it is paused (every activation started has ended):
    # what is left is held in the job.
    stats = job.routine_stats().values()
    assert sum(s.activations for s in stats) == sum(s.succeeded + s.failed for s in stats)
    assert sum(s.queued for s in stats) == len(job.pending_tasks)
    flow.resume(job)
    assert JobState.wait_for_completion(flow, job, timeout=TIMEOUT)
    assert job.status == "completed"
    assert emits(job, "gather", "total")[0]["total"] == sum(i * i for i in range(n))


def test_cancel_ends_the_job(address: str, flows: Any) -> None:
    flow = flows(fan_out_fan_in(dask_flow(address, max_workers=1), 32))
    job = flow.execute("src", entry_params={"n": 32})
    flow.cancel(job, reason="enough")
    assert JobState.wait_for_completion(flow, job, timeout=TIMEOUT)
    assert job.status == "cancelled"
    assert emits(job, "gather", "total") == []


# -- life cycle ------------------------------------------------------------------------------------------


@pytest.fixture
def shared_clusters_closed() -> Iterator[None]:
    """The shared LocalClusters closed after the test (and after its flows, if requested first),
    while the test's captured log stream is still open."""
    yield
    close_shared_clusters()


def test_flows_given_no_cluster_share_one_that_outlives_their_shutdown(
    shared_clusters_closed: None, flows: Any
) -> None:
    options = {"n_workers": 1, "cluster_kwargs": {"silence_logs": 50}}
    first, second = (
        flows(fan_out_fan_in(Flow(execution_strategy="dask", executor_options=options), 3)) for _ in range(2)
    )
    jobs = run(first, 3), run(second, 3)
    executors = first._get_executor(), second._get_executor()
    assert [job.status for job in jobs] == ["completed", "completed"]
    assert [emits(job, "gather", "total")[0]["total"] for job in jobs] == [5, 5]
    cluster = executors[0].cluster
    assert cluster is not None and executors[1].cluster is cluster
    assert {executor.client.scheduler.address for executor in executors} == {cluster.scheduler_address}
    assert len(cluster.scheduler_info["workers"]) == 1
    first.shutdown()
    # The flow's own client is closed; the shared cluster stays for the other flow and the next job.
    assert executors[0].client is None and executors[0].cluster is None
    assert cluster.status.name == "running"
    again = run(first, 3)
    assert again.status == "completed" and first._get_executor().cluster is cluster


def test_given_address_cluster_survives_shutdown_and_flow_runs_again(
    cluster: Any, address: str, flows: Any
) -> None:
    flow = flows(fan_out_fan_in(dask_flow(address), 4))
    first = run(flow, 4)
    flow.shutdown()
    assert cluster.status.name == "running"
    second = run(flow, 4)
    assert (first.status, second.status) == ("completed", "completed")
    assert sorted(record["square"] for record in emits(second, "square", "value")) == [0, 1, 4, 9]


def test_submit_after_shutdown_is_refused(address: str) -> None:
    executor = DaskExecutor(2, address=address)

    class Runner:
        pass

    executor.start(Runner())  # type: ignore[arg-type]
    executor.shutdown()
    with pytest.raises(RuntimeError, match="shut down"):
        executor.submit(("activation",))
