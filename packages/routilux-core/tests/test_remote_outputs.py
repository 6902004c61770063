"""What a handler sends its job on the remote path of the executor contract reaches the job, as
in-process; what only exists where the job lives fails the activation with a clear error."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from routilux import ErrorHandler, ErrorStrategy, Flow, JobState, RemoteContextError, Routine

WAIT = 30

EVERY_PATH = pytest.mark.parametrize("strategy, options", [
    ("sequential", {}),
    ("remote-thread", {"pickle_calls": True}),
])
REMOTE = {"execution_strategy": "remote-thread", "executor_options": {"pickle_calls": True}}


def routines() -> Any:
    return importlib.import_module("engine_fixtures.remote_routines")


def run_after_source(flow: Flow, chain: list[tuple[str, Routine]], count: int, tag: str) -> JobState:
    """src -> each routine of ``chain`` in turn; run one job to its end and shut the flow down."""
    flow.add_routine(routines().RemoteSource(), "src")
    previous = "src"
    for routine_id, routine in chain:
        flow.add_routine(routine, routine_id)
        flow.connect(previous, "out", routine_id, "input")
        previous = routine_id
    try:
        job = flow.execute("src", entry_params={"count": count, "tag": tag})
        assert JobState.wait_for_completion(flow, job, timeout=WAIT)
    finally:
        flow.shutdown()
    return job


@EVERY_PATH
def test_send_output_reaches_the_job_on_every_path(remote_registry, strategy, options) -> None:
    flow = Flow(execution_strategy=strategy, executor_options=options)
    chain = [("double", routines().RemoteDoubler()), ("report", routines().RemoteReporter())]
    job = run_after_source(flow, chain, 3, "outputs")
    assert job.status == "completed"
    seen = sorted((o["routine_id"], o["output_type"], o["data"]["doubled"]) for o in job.output_log)
    assert seen == [("report", "doubled", 0), ("report", "doubled", 2), ("report", "doubled", 4)]


@EVERY_PATH
def test_deferred_events_and_routine_states_reach_the_job_on_every_path(remote_registry, strategy,
                                                                        options) -> None:
    flow = Flow(execution_strategy=strategy, executor_options=options)
    job = run_after_source(flow, [("defer", routines().RemoteDeferrer())], 3, "deferred")
    assert job.status == "completed"
    assert [(e["routine_id"], e["event_name"], e["data"]) for e in job.deferred_events] == [
        ("defer", "later", {"n": 0}), ("defer", "later", {"n": 1}), ("defer", "later", {"n": 2}),
    ]
    assert job.get_routine_state("defer") == {"status": "completed", "last": 2}


@pytest.mark.parametrize("tag, what", [("job", "job_state.shared_data"), ("flow", "flow.routines")])
def test_a_remote_handler_using_what_is_not_there_fails_naming_it(remote_registry, tag, what) -> None:
    snooper = routines().RemoteSnooper()
    snooper.set_error_handler(ErrorHandler(strategy=ErrorStrategy.STOP))
    flow = Flow(**REMOTE)
    job = run_after_source(flow, [("snoop", snooper)], 1, tag)
    assert job.status == "failed"
    assert job.shared_data == {} and "other" not in flow.routines
    error = job.routine_states["snoop"]["error"]
    assert f"{what} is not available to the handler of routine 'snoop'" in error
    assert "flow.set_routine_executor('snoop', 'sequential')" in error


@EVERY_PATH
def test_probing_the_job_with_hasattr_tells_what_is_there(remote_registry, strategy, options) -> None:
    flow = Flow(execution_strategy=strategy, executor_options=options)
    job = run_after_source(flow, [("snoop", routines().RemoteSnooper())], 1, "probe")
    assert job.status == "completed"
    probes = [r.data for r in job.get_execution_history("snoop") if r.event_name == "probed"]
    # RemoteContextError is an AttributeError: a probe on a worker sees a missing attribute.
    assert probes == [{"has_shared_data": strategy == "sequential"}]
    assert issubclass(RemoteContextError, AttributeError)
