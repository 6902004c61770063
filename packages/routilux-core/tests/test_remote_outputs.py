"""Outputs a handler sends on the remote path of the executor contract reach the job, as in-process."""

from __future__ import annotations

import importlib

import pytest

from routilux import ErrorHandler, ErrorStrategy, Flow, JobState, RemoteContextError

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


@pytest.mark.parametrize("strategy, options", [
    ("sequential", {}),
    ("remote-thread", {"pickle_calls": True}),
])
def test_deferred_events_and_routine_states_reach_the_job_on_every_path(remote_registry, strategy,
                                                                        options) -> None:
    routines = importlib.import_module("engine_fixtures.remote_routines")
    flow = Flow(execution_strategy=strategy, executor_options=options)
    flow.add_routine(routines.RemoteSource(), "src")
    flow.add_routine(routines.RemoteDeferrer(), "defer")
    flow.connect("src", "out", "defer", "input")
    try:
        job = flow.execute("src", entry_params={"count": 3, "tag": "deferred"})
        assert JobState.wait_for_completion(flow, job, timeout=WAIT)
    finally:
        flow.shutdown()
    assert job.status == "completed"
    assert [(e["routine_id"], e["event_name"], e["data"]) for e in job.deferred_events] == [
        ("defer", "later", {"n": 0}), ("defer", "later", {"n": 1}), ("defer", "later", {"n": 2}),
    ]
    assert job.get_routine_state("defer") == {"status": "completed", "last": 2}


@pytest.mark.parametrize("tag, what", [("job", "job_state.shared_data"), ("flow", "flow.routines")])
def test_a_remote_handler_using_what_is_not_there_fails_naming_it(remote_registry, tag, what) -> None:
    routines = importlib.import_module("engine_fixtures.remote_routines")
    flow = Flow(execution_strategy="remote-thread", executor_options={"pickle_calls": True})
    flow.add_routine(routines.RemoteSource(), "src")
    snooper = routines.RemoteSnooper()
    snooper.set_error_handler(ErrorHandler(strategy=ErrorStrategy.STOP))
    flow.add_routine(snooper, "snoop")
    flow.connect("src", "out", "snoop", "input")
    try:
        job = flow.execute("src", entry_params={"count": 1, "tag": tag})
        assert JobState.wait_for_completion(flow, job, timeout=WAIT)
    finally:
        flow.shutdown()
    assert job.status == "failed"
    assert job.shared_data == {} and "other" not in flow.routines
    error = job.routine_states["snoop"]["error"]
    assert f"{what} is not available to the handler of routine 'snoop'" in error
    assert "flow.set_routine_executor('snoop', 'sequential')" in error


@pytest.mark.parametrize("strategy, options", [
    ("sequential", {}),
    ("remote-thread", {"pickle_calls": True}),
])
def test_probing_the_job_with_hasattr_tells_what_is_there(remote_registry, strategy, options) -> None:
    routines = importlib.import_module("engine_fixtures.remote_routines")
    flow = Flow(execution_strategy=strategy, executor_options=options)
    flow.add_routine(routines.RemoteSource(), "src")
    flow.add_routine(routines.RemoteSnooper(), "snoop")
    flow.connect("src", "out", "snoop", "input")
    try:
        job = flow.execute("src", entry_params={"count": 1, "tag": "probe"})
        assert JobState.wait_for_completion(flow, job, timeout=WAIT)
    finally:
        flow.shutdown()
    assert job.status == "completed"
    probes = [r.data for r in job.get_execution_history("snoop") if r.event_name == "probed"]
    # RemoteContextError is an AttributeError: a probe on a worker sees a missing attribute.
    assert probes == [{"has_shared_data": strategy == "sequential"}]
    assert issubclass(RemoteContextError, AttributeError)
