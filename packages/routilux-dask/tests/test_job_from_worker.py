"""What a handler running on a dask worker sends to its job arrives; what it cannot reach fails clearly."""

from __future__ import annotations

import os
from typing import Any

from dask_flows import TIMEOUT, OutputSource, Reporter, SharedWriter, run, with_routine

from routilux import CallbackOutputHandler, ErrorHandler, ErrorStrategy, Flow, JobState


def reporting_flow(address: str, received: list[tuple[str, str, Any]]) -> Flow:
    """src on the flow's sequential executor, the reporter alone on the cluster."""
    flow = Flow(flow_id="reports-from-workers")
    handler = CallbackOutputHandler(
        lambda job_id, routine_id, kind, data, when: received.append((routine_id, kind, data))
    )
    flow.add_routine(OutputSource(handler), "src")
    flow.add_routine(Reporter(), "report")
    flow.connect("src", "item", "report", "input")
    flow.set_routine_executor("report", "dask", max_workers=4, address=address)
    return flow


def test_outputs_deferred_events_and_states_sent_on_a_worker_reach_the_job(address: str, flows: Any) -> None:
    n = 6
    received: list[tuple[str, str, Any]] = []
    job = run(flows(reporting_flow(address, received)), n)
    assert job.status == "completed"
    # The job's output handler, in this process, got every output the workers sent.
    assert sorted((rid, kind, data["index"], data["square"]) for rid, kind, data in received) == [
        ("report", "square", i, i * i) for i in range(n)
    ]
    assert {data["pid"] for _, _, data in received}.isdisjoint({os.getpid()})
    assert sorted(entry["data"]["index"] for entry in job.output_log) == list(range(n))
    # Deferred events wait in the job for a resume, under the routine that deferred them.
    assert sorted((e["routine_id"], e["event_name"], e["data"]["index"]) for e in job.deferred_events) == [
        ("report", "later", i) for i in range(n)
    ]
    state = job.get_routine_state("report")
    assert state is not None and state["status"] == "completed" and state["pid"] != os.getpid()


def test_the_job_data_a_worker_does_not_have_fails_the_activation_naming_it(address: str, flows: Any) -> None:
    flow = flows(Flow(flow_id="shared-from-worker"))
    with_routine(flow, SharedWriter(), ErrorHandler(strategy=ErrorStrategy.STOP))
    flow.set_routine_executor("worker", "dask", max_workers=2, address=address)
    job = flow.execute("src", entry_params={"n": 1})
    assert JobState.wait_for_completion(flow, job, timeout=TIMEOUT)
    assert job.status == "failed"
    assert job.shared_data == {}  # nothing was written anywhere the job could see
    error = job.routine_states["worker"]["error"]
    assert "job_state.shared_data is not available to the handler of routine 'worker'" in error
    assert "flow.set_routine_executor('worker', 'sequential')" in error
