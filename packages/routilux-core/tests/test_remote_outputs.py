"""Outputs a handler sends on the remote path of the executor contract reach the job, as in-process."""

from __future__ import annotations

import importlib

import pytest

from routilux import Flow, JobState

WAIT = 30


@pytest.mark.parametrize("strategy, options", [
    ("sequential", {}),
    ("remote-thread", {"pickle_calls": True}),
])
def test_send_output_reaches_the_job_on_every_path(remote_registry, strategy, options) -> None:
    routines = importlib.import_module("engine_fixtures.remote_routines")
    flow = Flow(execution_strategy=strategy, executor_options=options)
    flow.add_routine(routines.RemoteSource(), "src")
    flow.add_routine(routines.RemoteDoubler(), "double")
    flow.add_routine(routines.RemoteReporter(), "report")
    flow.connect("src", "out", "double", "input")
    flow.connect("double", "out", "report", "input")
    seen = []
    try:
        job = flow.execute("src", entry_params={"count": 3, "tag": "outputs"})
        assert JobState.wait_for_completion(flow, job, timeout=WAIT)
        assert job.status == "completed"
        seen = sorted((o["routine_id"], o["output_type"], o["data"]["doubled"]) for o in job.output_log)
    finally:
        flow.shutdown()
    assert seen == [("report", "doubled", 0), ("report", "doubled", 2), ("report", "doubled", 4)]
