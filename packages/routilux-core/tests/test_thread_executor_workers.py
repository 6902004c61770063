"""Core's thread executor: a burst of work gets up to max_workers threads, and no work submitted
while its last worker retires for idleness is lost.

The retirement's interleaving is forced, not waited for: the executor's queue is wrapped so that
the retiring worker's last look at it lets another thread submit, then reports the queue empty.
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Any

from routilux import Flow, JobState, Routine
from routilux.engine.executors.threads import ThreadExecutor

BURST = 8


class Recorder:
    """A runner that records what it runs and signals each item."""

    def __init__(self) -> None:
        self.ran: list[Any] = []
        self.events = {name: threading.Event() for name in ("first", "second")}

    def run(self, activation: Any) -> None:
        self.ran.append(activation)
        self.events[activation].set()

    def prepare_remote(self, activation: Any) -> None:
        raise AssertionError("a thread executor runs activations here")

    def finish_remote(self, activation: Any, result: Any) -> None:
        raise AssertionError("a thread executor runs activations here")


class RetireRace:
    """Wraps the executor's queue: the first idle wait times out at once, and the retiring
    worker's final look at the queue has a submit from another thread come in just after it."""

    def __init__(self, executor: ThreadExecutor, item: Any) -> None:
        self.inner: queue.SimpleQueue[Any] = executor._queue
        self.executor = executor
        self.item = item
        self.timed_out = False
        self.raced = False
        self.put_done = threading.Event()
        self.submitter: threading.Thread | None = None

    def put(self, item: Any) -> None:
        self.inner.put(item)
        if item == self.item:
            self.put_done.set()

    def qsize(self) -> int:
        return self.inner.qsize()

    def get(self, timeout: float | None = None) -> Any:
        if not self.timed_out:
            self.timed_out = True
            raise queue.Empty  # the idle timeout, without the wait
        return self.inner.get(timeout=timeout)

    def get_nowait(self) -> Any:
        # The worker looks once after each item it runs, and once more, under the executor's
        # lock, as it retires: that last look is the one raced.
        if not self.timed_out:
            return self.inner.get_nowait()
        try:
            return self.inner.get_nowait()
        except queue.Empty:
            if self.raced:
                raise
            self.raced = True
            # The submit lands after this look found nothing, before the worker is gone.
            self.submitter = threading.Thread(target=self.executor.submit, args=(self.item,))
            self.submitter.start()
            assert self.put_done.wait(30), "the submit did not reach the queue"
            raise


def test_work_submitted_while_the_last_worker_retires_still_runs() -> None:
    executor = ThreadExecutor(1, idle_timeout=30.0)
    runner = Recorder()
    executor.start(runner)
    race = RetireRace(executor, "second")
    executor._queue = race  # type: ignore[assignment]
    try:
        executor.submit("first")
        assert runner.events["first"].wait(30)
        assert runner.events["second"].wait(30), "an item submitted during the retirement never ran"
        assert race.raced
        assert runner.ran == ["first", "second"]
    finally:
        if race.submitter is not None:
            race.submitter.join(30)
        executor.shutdown(wait=True)


class Trigger(Routine):
    """Entry: emits one message on the event named by ``kind``."""

    def __init__(self) -> None:
        super().__init__()
        self.define_slot("trigger", handler=self.on_trigger)
        self.define_event("one", ["value"])
        self.define_event("burst", ["value"])

    def on_trigger(self, kind: str) -> None:
        self.emit(kind, value=kind)


class Meeting(Routine):
    """Passes only once ``barrier.parties`` activations wait at the barrier at the same time."""

    def __init__(self, barrier: threading.Barrier | None, passed: list[Any]) -> None:
        super().__init__()
        self._barrier = barrier
        self._passed = passed
        self.define_slot("in", handler=self.on_value)

    def on_value(self, value: Any) -> None:
        if self._barrier is not None:
            self._barrier.wait()  # raises BrokenBarrierError at its timeout if too few run at once
        self._passed.append(value)


def test_a_burst_runs_on_every_worker_even_when_one_was_idle() -> None:
    barrier = threading.Barrier(BURST, timeout=30)
    passed: list[Any] = []
    flow = Flow(flow_id="burst", execution_strategy="concurrent", max_workers=BURST)
    flow.add_routine(Trigger(), "src")
    flow.add_routine(Meeting(None, passed), "quick")
    flow.connect("src", "one", "quick", "in")
    for index in range(BURST):
        flow.add_routine(Meeting(barrier, passed), f"meet{index}")
        flow.connect("src", "burst", f"meet{index}", "in")
    try:
        # One quick activation first: its worker is left idle when the burst comes.
        first = flow.execute("src", entry_params={"kind": "one"})
        assert JobState.wait_for_completion(flow, first, timeout=30)
        executor = flow._executor
        assert isinstance(executor, ThreadExecutor)
        # Until the worker blocks waiting for work (the state the burst must not be fooled by).
        deadline = time.monotonic() + 30
        while executor._idle < 1:
            assert time.monotonic() < deadline, "the first job's worker never went idle"
            time.sleep(0.001)
        burst = flow.execute("src", entry_params={"kind": "burst"})
        assert JobState.wait_for_completion(flow, burst, timeout=60)
    finally:
        flow.shutdown()
    assert not [r for r in burst.execution_history if r.event_name == "error"]
    assert passed == ["one"] + ["burst"] * BURST
