"""A job's status follows one documented state machine (issue 10 item 2).

Cancel is final; a failed job is final; pause never blocks without bound; a snapshot of a running
job is never "resumed" into a false completion; ``resume`` returns with the job running and the
engine completes it; racing pause/resume/cancel calls on the same jobs are safe. The machine is
``routilux.job_lifecycle.TABLE`` and the README shows exactly that table.
"""

from __future__ import annotations

import json
import math
import threading
from pathlib import Path
from typing import Any

import pytest

from routilux import ErrorHandler, Flow, JobState, Routine, job_lifecycle
from routilux.job_lifecycle import CALLS, ROWS, TABLE, JobStatusError

WAIT = 10.0
README = Path(__file__).resolve().parents[3] / "README.md"


class Source(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.define_slot("trigger", self._on_trigger)
        self.define_event("out", ["item"])

    def _on_trigger(self, count: int = 1, **_: Any) -> None:
        for item in range(count):
            self.emit("out", item=item)


class Gate(Routine):
    """Item 0 blocks until ``release``; with ``fail`` it then raises."""

    def __init__(self, fail: bool = False) -> None:
        super().__init__()
        self.fail = fail
        self.entered, self.release = threading.Event(), threading.Event()
        self.seen: list[int] = []
        self.define_slot("input", self._on_input)
        self.define_event("out", ["item"])

    def _on_input(self, item: int) -> None:
        self.seen.append(item)
        if item == 0:
            self.entered.set()
            assert self.release.wait(WAIT), "never released"
            if self.fail:
                raise RuntimeError("gate failed")
        self.emit("out", item=item)


def _gated(count: int = 3, fail: bool = False, **flow_kwargs: Any) -> tuple[Flow, Gate, JobState]:
    gate = Gate(fail=fail)
    flow = Flow(**flow_kwargs)
    flow.add_routine(Source(), "src")
    flow.add_routine(gate, "gate")
    flow.connect("src", "out", "gate", "input")
    job = flow.execute("src", entry_params={"count": count})
    assert gate.entered.wait(WAIT)
    return flow, gate, job


def _wait(flow: Flow, job: JobState) -> None:
    assert JobState.wait_for_completion(flow, job, timeout=WAIT), f"{job!r} did not settle"


# -- the table ---------------------------------------------------------------------------------------


def test_the_table_covers_every_status_and_call() -> None:
    assert set(TABLE) == set(ROWS)
    for row in ROWS:
        assert set(TABLE[row]) == set(CALLS), row
    for status in job_lifecycle.STATUSES:
        assert job_lifecycle.row_of(status, in_flight_here=True) == status
    assert job_lifecycle.row_of("running", in_flight_here=False) == job_lifecycle.SNAPSHOT
    assert job_lifecycle.row_of("archived", in_flight_here=True) == job_lifecycle.OTHER


@pytest.mark.parametrize(
    "status, call", [("cancelled", "pause"), ("cancelled", "resume"), ("failed", "pause"),
                     ("failed", "resume"), ("archived", "pause")],
)
def test_refused_transitions_name_the_job_and_its_status(status: str, call: str) -> None:
    with pytest.raises(JobStatusError, match=rf"cannot {call} job 'job-7': its status is '{status}'") as info:
        job_lifecycle.transition("job-7", status, call)
    assert isinstance(info.value, ValueError)
    assert (info.value.job_id, info.value.status, info.value.call) == ("job-7", status, call)


def test_the_readme_shows_the_table_the_engine_follows() -> None:
    text = README.read_text(encoding="utf-8")
    assert "## Job lifecycle" in text
    section = text.split("## Job lifecycle", 1)[1]
    assert job_lifecycle.markdown_table() in section, "README table differs from job_lifecycle.TABLE"


# -- cancel is final; failed is final ----------------------------------------------------------------


def test_cancel_then_pause_then_resume_never_completes() -> None:
    flow, gate, job = _gated()
    flow.cancel(job, reason="stop")
    with pytest.raises(ValueError, match=rf"cannot pause job '{job.job_id}': its status is 'cancelled'"):
        flow.pause(job)
    with pytest.raises(ValueError, match=rf"cannot resume job '{job.job_id}': its status is 'cancelled'"):
        flow.resume(job)
    gate.release.set()
    _wait(flow, job)
    probe = flow.execute("src", entry_params={"count": 1})  # FIFO: after the cancelled job's leftovers
    _wait(flow, probe)
    assert job.status == "cancelled"
    assert gate.seen == [0, 0]  # job's item 0 (running when cancelled), then the probe's


def test_a_failed_job_cannot_be_paused_or_resumed() -> None:
    flow, gate, job = _gated(fail=True)
    gate.set_error_handler(ErrorHandler(strategy="stop"))
    gate.release.set()
    _wait(flow, job)
    assert job.status == "failed"
    for call in (flow.pause, flow.resume):
        with pytest.raises(ValueError, match=rf"job '{job.job_id}': its status is 'failed'"):
            call(job)
    assert job.status == "failed"
    flow.cancel(job)  # cancel is allowed in every status
    assert job.status == "cancelled"


def test_a_failure_after_cancel_leaves_the_job_cancelled() -> None:
    flow, gate, job = _gated(fail=True)
    gate.set_error_handler(ErrorHandler(strategy="stop"))
    flow.cancel(job)
    gate.release.set()  # the running handler now fails under "stop"
    probe = flow.execute("src", entry_params={"count": 1})
    _wait(flow, probe)
    assert job.status == "cancelled"
    assert job.routine_states["gate"]["status"] == "failed"  # recorded, but cancel is final


# -- pause never blocks without bound ------------------------------------------------------------------


def test_pause_returns_false_at_its_timeout_and_completes_when_the_handler_returns() -> None:
    flow, gate, job = _gated(count=3)
    assert flow.pause(job, timeout=0.05) is False  # the handler of item 0 is still running
    assert job.status == "paused"
    gate.release.set()
    _wait(flow, job)  # the pause completes once the handler returned and the rest is held
    assert sorted(entry["data"]["item"] for entry in job.pending_tasks) == [1, 2]
    assert flow.resume(job) is job
    _wait(flow, job)
    assert job.status == "completed" and gate.seen == [0, 1, 2]


def test_a_waiting_pause_returns_when_another_thread_resumes_the_job() -> None:
    flow, gate, job = _gated(count=2)
    results: list[bool | None] = []
    pauser = threading.Thread(target=lambda: results.append(flow.pause(job, timeout=60)))
    pauser.start()
    try:
        assert JobState.wait_until_condition(flow, job, lambda f, j: j.status == "paused", timeout=WAIT)
        flow.resume(job)  # the pause is moot: it must not wait for its 60 s
        pauser.join(WAIT)
        assert not pauser.is_alive(), "pause() kept waiting on a job that was resumed"
        assert results == [False]
        assert job.status == "running"
    finally:
        gate.release.set()
        pauser.join(WAIT)
    _wait(flow, job)
    assert job.status == "completed"


@pytest.mark.parametrize("timeout, error", [(-1, ValueError), (math.inf, ValueError), (math.nan, ValueError),
                                            ("5", TypeError), (None, TypeError), (True, TypeError)])
def test_pause_timeout_must_be_finite_seconds(timeout: Any, error: type) -> None:
    flow = Flow()
    flow.add_routine(Source(), "src")
    job = flow.execute("src")
    with pytest.raises(error, match="timeout must be a"):
        flow.pause(job, timeout=timeout)


@pytest.mark.parametrize("timeout, error", [(math.nan, ValueError), ("5", TypeError), (True, TypeError)])
def test_wait_refuses_a_timeout_that_is_not_seconds_rather_than_hang(timeout: Any, error: type) -> None:
    flow, gate, job = _gated()
    try:
        for wait in (lambda: JobState.wait_for_completion(flow, job, timeout=timeout),
                     lambda: JobState.wait_until_condition(flow, job, lambda *_: False, timeout=timeout)):
            with pytest.raises(error, match="timeout must be a number of seconds or None"):
                wait()
        with pytest.raises(ValueError, match="check_interval must be a positive number of seconds, got 0"):
            JobState.wait_until_condition(flow, job, lambda *_: False, timeout=1, check_interval=0)
    finally:
        gate.release.set()
    _wait(flow, job)
    with pytest.raises(error, match="timeout must be a number"):  # a finished job: refused all the same
        JobState.wait_for_completion(flow, job, timeout=timeout)


@pytest.mark.parametrize("timeout", [math.inf, 1e300])
def test_a_timeout_of_forever_waits_for_the_job(timeout: float) -> None:
    flow, gate, job = _gated()
    outcome: list[Any] = []
    waiter = threading.Thread(
        target=lambda: outcome.append(JobState.wait_for_completion(flow, job, timeout=timeout)), daemon=True
    )
    waiter.start()
    gate.release.set()
    waiter.join(WAIT)
    # Before, both overflowed the platform's time_t in the first wait and raised in the waiter.
    assert outcome == [True] and job.status == "completed"


# -- snapshots of a running job ----------------------------------------------------------------------


def test_a_job_saved_while_running_is_refused_by_resume() -> None:
    flow, gate, job = _gated(count=4)
    try:
        snapshot = JobState().deserialize(json.loads(json.dumps(job.serialize())))
        assert snapshot.status == "running"
        with pytest.raises(ValueError, match="snapshot.*no record of the work that was queued or running"):
            flow.resume(snapshot)
        with pytest.raises(ValueError, match=rf"cannot pause job '{job.job_id}'.*snapshot"):
            flow.pause(snapshot)
        assert snapshot.status == "running"
        # It cannot complete here: a waiter is told so at once instead of a false "completed".
        assert JobState.wait_for_completion(flow, snapshot, timeout=None) is False
        assert snapshot.status == "running"
        flow.cancel(snapshot)
        assert snapshot.status == "cancelled"
    finally:
        gate.release.set()
    _wait(flow, job)
    assert job.status == "completed" and gate.seen == [0, 1, 2, 3]


# -- resume returns running; the engine completes ------------------------------------------------------


def test_resume_returns_running_and_the_engine_completes_the_job() -> None:
    flow = Flow()  # one worker: what resume queues runs behind the blocked handler below
    gate = Gate()
    flow.add_routine(Source(), "src")
    flow.add_routine(gate, "gate")
    flow.connect("src", "out", "gate", "input")
    done = flow.execute("src", entry_params={"count": 0})
    _wait(flow, done)
    assert done.status == "completed"
    flow.pause(done)  # a finished job can be paused (as in 0.10) ...
    assert done.status == "paused"
    blocker = flow.execute("src", entry_params={"count": 1})  # ... and the worker is now busy
    assert gate.entered.wait(WAIT)
    try:
        assert flow.resume(done) is done
        assert done.status == "running"  # not completed by resume's caller
    finally:
        gate.release.set()
    _wait(flow, done)
    _wait(flow, blocker)
    assert (done.status, blocker.status) == ("completed", "completed")


def test_resume_of_a_job_that_is_not_paused_returns_it_unchanged() -> None:
    flow, gate, job = _gated(count=1)
    try:
        assert flow.resume(job) is job and job.status == "running"
    finally:
        gate.release.set()
    _wait(flow, job)
    assert flow.resume(job) is job and job.status == "completed"
    pending = JobState(flow.flow_id)
    assert flow.resume(pending) is pending and pending.status == "pending"


def test_a_saved_paused_job_whose_work_this_flow_cannot_take_is_refused_not_dropped() -> None:
    flow, gate, job = _gated(count=3)
    try:
        assert flow.pause(job, timeout=0) is False  # item 0 still runs; the rest is held
    finally:
        gate.release.set()
    _wait(flow, job)
    assert job.status == "paused"
    saved = json.loads(json.dumps(job.serialize()))
    assert saved["pending_tasks"], "the paused job should describe its held work"

    other = Flow(flow_id=flow.flow_id)  # the same flow, but the gate has another id
    other.add_routine(Source(), "src")
    other.add_routine(Gate(), "renamed")
    other.connect("src", "out", "renamed", "input")
    loaded = JobState().deserialize(saved)
    with pytest.raises(ValueError, match=r"cannot resume job .*'gate'.*'input'.*names no routine or slot"):
        other.resume(loaded)
    assert loaded.status == "paused" and loaded.pending_tasks == saved["pending_tasks"]

    resumed = flow.resume(JobState().deserialize(saved))  # its own flow takes it, and nothing is lost
    _wait(flow, resumed)
    assert resumed.status == "completed"
    assert gate.seen[:1] == [0] and sorted(gate.seen[1:]) == [1, 2]
