"""Pause, resume and cancel of single jobs (spec §9, §11.4, §18 items 3-6, 11).

Resume continues exactly where the job stopped: no activation is lost or repeated. Cancel drops the
job's pending work and nothing of it runs afterwards. Pausing one job never stops another.
"""

from __future__ import annotations

import copy
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from routilux import Flow, JobState, Routine
from routilux.routine import _current_job_state

WAIT = 10.0
PROMPT = 2.0  # a pause from inside a handler must return well within this

pytestmark = pytest.mark.usefixtures("fixtures_on_path")  # conftest.py: engine_fixtures imports


class Source(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.define_slot("trigger", self._on_trigger)
        self.define_event("out", ["item", "tag"])

    def _on_trigger(self, count: int, tag: str = "") -> None:
        for item in range(count):
            self.emit("out", item=item, tag=tag)


class Worker(Routine):
    """Records each item; item ``hold_at`` blocks until ``release``; ``on_item`` hooks run first."""

    def __init__(self, hold_at: int | None = None) -> None:
        super().__init__()
        self.hold_at = hold_at
        self.entered = threading.Event()
        self.release = threading.Event()
        self.calls: list[tuple] = []
        self.on_item: dict[int, Any] = {}
        self._lock = threading.Lock()
        self.define_slot("work", self._on_work, merge_strategy=lambda old, new: new)
        self.define_event("out", ["item", "tag"])

    def _on_work(self, item: int, tag: str) -> None:
        job = _current_job_state.get(None)
        with self._lock:
            self.calls.append((job, item))
        if item == self.hold_at:
            self.entered.set()
            assert self.release.wait(WAIT), "worker was never released"
        hook = self.on_item.get(item)
        if hook is not None:
            hook(self, job, tag)
        self.emit("out", item=item, tag=tag)

    def items(self, job: JobState) -> list[int]:
        return [item for owner, item in self.calls if owner is job]


class Collector(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple] = []
        self._lock = threading.Lock()
        self.define_slot("collect", self._on_collect, merge_strategy=lambda old, new: new)

    def _on_collect(self, item: int, tag: str) -> None:
        with self._lock:
            self.calls.append((_current_job_state.get(None), item))

    def items(self, job: JobState) -> list[int]:
        return [item for owner, item in self.calls if owner is job]


def _flow(worker: Routine, **flow_kwargs: Any) -> tuple[Flow, Collector]:
    from engine_fixtures.routines import linear_flow

    collector = Collector()
    flow = linear_flow(Source(), ("worker", worker, "work"), ("collector", collector, "collect"),
                       **flow_kwargs)
    return flow, collector


def _wait(flow: Flow, job: JobState) -> None:
    assert JobState.wait_for_completion(flow, job, timeout=WAIT), f"{job!r} did not finish"


def _assert_exactly_once(items: list[int], count: int) -> None:
    assert Counter(items) == Counter(range(count)), f"lost or repeated activations: {sorted(items)}"


def _held_job(count: int, **flow_kwargs: Any) -> tuple[Flow, Worker, Collector, JobState]:
    """A flow whose worker holds item 0, and a job of ``count`` items running into that hold."""
    worker = Worker(hold_at=0)
    flow, collector = _flow(worker, **flow_kwargs)
    job = flow.execute("src", entry_params={"count": count})
    assert worker.entered.wait(WAIT)
    return flow, worker, collector, job


def _pause_while_held(
    flow: Flow, job: JobState, release: threading.Event, message: str = "pause() did not return",
    **pause_kwargs: Any,
) -> None:
    """Pause ``job`` from another thread while a handler of it is held, then ``release`` that handler:
    pause() waits for the running activation and returns; the job is then paused."""
    pause_errors: list[BaseException] = []

    def pause() -> None:
        try:
            flow.pause(job, **pause_kwargs)
        except BaseException as error:
            pause_errors.append(error)

    pauser = threading.Thread(target=pause)
    pauser.start()
    release.set()
    pauser.join(WAIT)
    assert not pauser.is_alive(), message
    assert pause_errors == []
    assert job.status == "paused"


def _pause_inside(
    worker: Worker, item: int, pause: Callable[[Worker, JobState, str], bool]
) -> threading.Event:
    """Run ``pause(routine, job, tag)`` as the worker's hook for ``item``; the event returned is set
    once a call of it returns True (it paused)."""
    paused = threading.Event()

    def hook(routine: Worker, job: JobState, tag: str) -> None:
        if pause(routine, job, tag):
            paused.set()

    worker.on_item[item] = hook
    return paused


# -- validation (§9, §20 item 15) ------------------------------------------------------------------------


def test_flow_id_mismatch_is_rejected_by_pause_resume_and_cancel() -> None:
    flow, _ = _flow(Worker())
    stranger = JobState("another-flow")
    with pytest.raises(ValueError, match="flow_id.*does not match"):
        flow.pause(stranger)
    with pytest.raises(ValueError, match="does not match"):
        flow.resume(stranger)
    with pytest.raises(ValueError, match="does not match"):
        flow.cancel(stranger)
    assert stranger.status == "pending"


def test_resume_with_unknown_current_routine_is_rejected() -> None:
    flow, _ = _flow(Worker())
    job = JobState(flow.flow_id)
    job.status = "paused"
    job.current_routine_id = "vanished"
    with pytest.raises(ValueError, match="not found in flow"):
        flow.resume(job)
    assert job.status == "paused"


# -- pausing from outside the job -------------------------------------------------------------------------


def test_pause_from_outside_holds_work_and_resume_delivers_exactly_once() -> None:
    count = 8
    flow, worker, collector, job = _held_job(count)
    # pause waits for the running activation, then returns
    _pause_while_held(flow, job, worker.release, reason="maintenance", checkpoint={"step": "outside"})

    assert job.pause_points and job.pause_points[-1]["checkpoint"] == {"step": "outside"}
    assert job.pause_points[-1]["reason"] == "maintenance"
    assert JobState.wait_for_completion(flow, job, timeout=0) is True  # paused counts as settled
    # Quiescent while paused: every activation either ran or is described as pending.
    pending = job.pending_tasks
    assert all(entry["slot_name"] in ("work", "collect") for entry in pending)
    assert all(entry["connection_source_routine_id"] is not None for entry in pending)
    held_work = sorted(e["data"]["item"] for e in pending if e["slot_name"] == "work")
    held_collect = sorted(e["data"]["item"] for e in pending if e["slot_name"] == "collect")
    assert sorted(worker.items(job) + held_work) == list(range(count))
    assert sorted(collector.items(job) + held_collect) == sorted(worker.items(job))
    ran_before = list(worker.items(job))

    resumed = flow.resume(job)
    assert resumed is job
    assert job.status in ("running", "completed")
    _wait(flow, job)
    assert job.status == "completed"
    _assert_exactly_once(worker.items(job), count)
    _assert_exactly_once(collector.items(job), count)
    assert worker.items(job)[: len(ran_before)] == ran_before
    assert worker.items(job) == list(range(count))  # sequential: FIFO order survives the pause
    assert job.pending_tasks == []


# -- pausing from inside a handler ----------------------------------------------------------------------


def test_a_pause_with_no_timeout_is_in_force_at_once_and_waits_for_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    flow, worker, _collector, job = _held_job(4)
    assert flow.pause(job, reason="now", timeout=0) is False  # item 0's handler still runs
    assert job.status == "paused"
    assert not caplog.records, "a pause that was asked not to wait warned that it did not"
    worker.release.set()
    _wait(flow, job)  # settles once item 0 ends: nothing of it ran after the pause
    assert worker.items(job) == [0]
    flow.resume(job)
    _wait(flow, job)
    assert job.status == "completed"
    _assert_exactly_once(worker.items(job), 4)
    flow.shutdown()


@pytest.mark.parametrize("strategy", ["sequential", "concurrent"])
def test_pause_from_inside_handler_is_prompt_and_resume_continues(strategy: str) -> None:
    count = 6
    worker = Worker()
    flow, collector = _flow(worker, execution_strategy=strategy, max_workers=3)

    def pause_here(routine: Worker, job: JobState, tag: str) -> bool:
        routine.emit_deferred_event("out", item=99, tag="deferred")
        flow.pause(job, reason="inside", checkpoint={"at": 2})
        return True

    paused = _pause_inside(worker, 2, pause_here)
    job = flow.execute("src", entry_params={"count": count})
    assert paused.wait(PROMPT), "pause() from inside a handler of the job did not return"
    _wait(flow, job)  # returns at once: the job is paused
    assert job.status == "paused"
    assert job.pause_points[-1]["checkpoint"] == {"at": 2}
    assert len(job.deferred_events) == 1
    assert job.pending_tasks, "a pause with work left must describe it in pending_tasks"

    assert flow.resume(job) is job
    _wait(flow, job)
    assert job.status == "completed"
    assert job.deferred_events == []
    _assert_exactly_once(worker.items(job), count)
    # The deferred emit went out on resume, for this job; everything else exactly once.
    assert Counter(collector.items(job)) == Counter(list(range(count)) + [99])
    flow.shutdown(wait=False)


def test_resume_from_described_pending_tasks_of_a_fresh_job_state() -> None:
    # What a job loaded from storage looks like: only the description of its pending work.
    count = 5
    flow, worker, collector, job = _held_job(count)
    _pause_while_held(flow, job, worker.release, checkpoint={"k": 1})

    loaded = JobState(flow.flow_id)
    loaded.status = "paused"
    loaded.current_routine_id = job.current_routine_id
    loaded.pending_tasks = copy.deepcopy(job.pending_tasks)
    expected_work = sorted(e["data"]["item"] for e in loaded.pending_tasks if e["slot_name"] == "work")
    assert flow.resume(loaded) is loaded
    _wait(flow, loaded)
    assert loaded.status == "completed"
    assert sorted(worker.items(loaded)) == expected_work
    assert sorted(worker.items(job) + worker.items(loaded)) == list(range(count))
    assert sorted(collector.items(job) + collector.items(loaded)) == list(range(count))


# -- one job paused, another running -----------------------------------------------------------------------


def test_pausing_one_job_does_not_stop_another() -> None:
    worker = Worker()
    flow, collector = _flow(worker, execution_strategy="concurrent", max_workers=4)

    def pause_job_a(routine: Worker, job: JobState, tag: str) -> bool:
        if tag == "A":
            flow.pause(job, reason="just this one")
        return tag == "A"

    paused = _pause_inside(worker, 1, pause_job_a)
    job_a = flow.execute("src", entry_params={"count": 4, "tag": "A"})
    assert paused.wait(PROMPT), "job A never paused"
    assert job_a.status == "paused"
    done_a = sorted(worker.items(job_a))

    job_b = flow.execute("src", entry_params={"count": 4, "tag": "B"})
    _wait(flow, job_b)
    assert job_b.status == "completed"
    assert sorted(worker.items(job_b)) == [0, 1, 2, 3]
    assert sorted(collector.items(job_b)) == [0, 1, 2, 3]
    assert job_a.status == "paused"
    assert sorted(worker.items(job_a)) == done_a  # B's work did not wake A's

    assert flow.resume(job_a) is job_a
    _wait(flow, job_a)
    assert job_a.status == "completed"
    _assert_exactly_once(worker.items(job_a), 4)
    _assert_exactly_once(collector.items(job_a), 4)
    flow.shutdown()


# -- cancel -------------------------------------------------------------------------------------------------


def test_cancel_drops_pending_work_and_nothing_of_the_job_runs_afterwards() -> None:
    flow, worker, collector, job = _held_job(5)
    flow.cancel(job, reason="user abort")
    assert job.status == "cancelled"
    assert job.routine_states["_cancellation"] == {"reason": "user abort"}
    assert JobState.wait_for_completion(flow, job, timeout=0) is True
    worker.release.set()

    # Sequential FIFO: once a later job on the flow has finished, every activation queued
    # by the cancelled job has been dealt with.
    later = flow.execute("src", entry_params={"count": 2})
    _wait(flow, later)
    assert later.status == "completed"
    assert worker.items(job) == [0]  # only the activation already running when cancelled
    assert collector.items(job) == []  # its emit after the cancel was dropped
    assert sorted(worker.items(later)) == [0, 1] and sorted(collector.items(later)) == [0, 1]
    assert job.status == "cancelled"


def test_cancel_of_a_paused_job_drops_its_held_work() -> None:
    flow, worker, collector, job = _held_job(4)
    _pause_while_held(flow, job, worker.release)
    ran = list(worker.items(job))

    flow.cancel(job)
    assert job.status == "cancelled"
    with pytest.raises(ValueError, match="cancelled"):
        flow.resume(job)  # cancel is final: resuming does not bring its work back
    later = flow.execute("src", entry_params={"count": 1})
    _wait(flow, later)
    assert worker.items(job) == ran
    assert job.status == "cancelled"


def test_cancel_leaves_other_jobs_running() -> None:
    worker = Worker(hold_at=0)
    flow, collector = _flow(worker, execution_strategy="concurrent", max_workers=4)
    doomed = flow.execute("src", entry_params={"count": 1, "tag": "doomed"})
    assert worker.entered.wait(WAIT)
    worker.hold_at = None
    other = flow.execute("src", entry_params={"count": 3, "tag": "other"})
    flow.cancel(doomed)
    _wait(flow, other)
    worker.release.set()
    assert other.status == "completed"
    assert sorted(collector.items(other)) == [0, 1, 2]
    assert doomed.status == "cancelled"
    flow.shutdown()


def test_deferred_event_that_cannot_be_emitted_warns_on_resume() -> None:
    worker = Worker()
    flow, collector = _flow(worker, execution_strategy="concurrent", max_workers=2)

    def defer_and_pause(routine: Worker, job: JobState, tag: str) -> bool:
        routine.emit_deferred_event("no_such_event", item=1)  # not checked when deferred
        flow.pause(job)
        return True

    paused = _pause_inside(worker, 0, defer_and_pause)
    job = flow.execute("src", entry_params={"count": 1})
    assert paused.wait(PROMPT)
    assert [e["event_name"] for e in job.deferred_events] == ["no_such_event"]
    with pytest.warns(Warning, match="no_such_event"):
        flow.resume(job)
    _wait(flow, job)
    assert job.status == "completed"
    assert job.deferred_events == []
    assert collector.items(job) == [0]
    flow.shutdown()


# -- retries and gates -------------------------------------------------------------------------------------


class FlakyWorker(Worker):
    """Item 0 waits for ``go`` (so every item is queued before work starts), item 1 fails on its
    first call (its retry is queued behind item 2 and item 0's delivery), item 2 blocks until
    ``release``."""

    def __init__(self) -> None:
        super().__init__(hold_at=2)
        self.go = threading.Event()
        self.failed_once = False

    def _on_work(self, item: int, tag: str) -> None:
        if item == 0:
            assert self.go.wait(WAIT)
        if item == 1 and not self.failed_once:
            self.failed_once = True
            with self._lock:
                self.calls.append((_current_job_state.get(None), item))
            raise ConnectionError("first attempt")
        super()._on_work(item, tag)


def _flaky_flow() -> tuple[Flow, FlakyWorker, Collector]:
    from routilux import ErrorHandler

    worker = FlakyWorker()
    worker.set_error_handler(ErrorHandler(strategy="retry", max_retries=1, retry_delay=0))
    flow, collector = _flow(worker)
    return flow, worker, collector


def _start_flaky(flow: Flow, worker: FlakyWorker) -> JobState:
    job = flow.execute("src", entry_params={"count": 3})  # returns once all items are queued
    worker.go.set()
    assert worker.entered.wait(WAIT)  # item 2 runs; the retry of item 1 waits behind it
    assert worker.items(job) == [0, 1, 2]
    return job


def test_cancel_drops_a_queued_retry() -> None:
    flow, worker, collector = _flaky_flow()
    job = _start_flaky(flow, worker)
    flow.cancel(job)
    worker.hold_at = None
    worker.release.set()
    probe = flow.execute("src", entry_params={"count": 1})  # FIFO: runs after any leftover of job
    _wait(flow, probe)
    assert probe.status == "completed"
    assert worker.items(job) == [0, 1, 2]  # the retry of item 1 never ran
    assert collector.items(job) == []  # item 0's delivery was still queued, item 2's came later
    assert job.status == "cancelled"


def test_pause_holds_a_queued_retry_and_resume_runs_it_once() -> None:
    flow, worker, collector = _flaky_flow()
    job = _start_flaky(flow, worker)
    _pause_while_held(flow, job, worker.release)
    held = sorted((e["slot_name"], e["data"]["item"], e["retry_count"]) for e in job.pending_tasks)
    assert held == [("collect", 0, 0), ("collect", 2, 0), ("work", 1, 1)]
    assert worker.items(job) == [0, 1, 2]

    flow.resume(job)
    _wait(flow, job)
    assert job.status == "completed"
    assert worker.items(job) == [0, 1, 2, 1]  # the retry ran once, after the resume
    _assert_exactly_once(collector.items(job), 3)


class TagGate(Routine):
    """Item 0 of each tag blocks until that tag's release event is set."""

    def __init__(self, tags: list[str]) -> None:
        super().__init__()
        self.entered = {tag: threading.Event() for tag in tags}
        self.release = {tag: threading.Event() for tag in tags}
        self.define_slot("work", self._on_work, merge_strategy=lambda old, new: new)
        self.define_event("out", ["item", "tag"])

    def _on_work(self, item: int, tag: str) -> None:
        if item == 0:
            self.entered[tag].set()
            assert self.release[tag].wait(WAIT), f"{tag} was never released"
        self.emit("out", item=item, tag=tag)


def test_pause_of_one_job_does_not_wait_for_another_jobs_running_handler() -> None:
    gate = TagGate(["A", "B"])
    flow, collector = _flow(gate, execution_strategy="concurrent", max_workers=4)
    try:
        job_a = flow.execute("src", entry_params={"count": 3, "tag": "A"})
        job_b = flow.execute("src", entry_params={"count": 3, "tag": "B"})
        assert gate.entered["A"].wait(WAIT) and gate.entered["B"].wait(WAIT)

        _pause_while_held(flow, job_a, gate.release["A"], "pausing job A waited for job B's handler",
                          reason="only A")
        assert job_b.status == "running"  # still held in its handler, untouched by A's pause

        gate.release["B"].set()
        _wait(flow, job_b)
        assert job_b.status == "completed"
        _assert_exactly_once(collector.items(job_b), 3)
        assert job_a.status == "paused"

        flow.resume(job_a)
        _wait(flow, job_a)
        assert job_a.status == "completed"
        _assert_exactly_once(collector.items(job_a), 3)
    finally:
        for event in gate.release.values():
            event.set()
        flow.shutdown()
