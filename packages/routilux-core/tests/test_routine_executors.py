"""Per-routine executors: one job spanning the flow's executor and others chosen per routine."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from routilux import ErrorHandler, ErrorStrategy, Flow, JobState, Routine

pytestmark = pytest.mark.usefixtures("fixtures_on_path")

ITEMS = 20


class Work(Routine):
    """Records the thread each item ran on; fails the first attempt of odd items when ``flaky``."""

    def __init__(self, flaky: bool = False, gate: threading.Event | None = None) -> None:
        super().__init__()
        self.flaky = flaky
        self.gate = gate
        self.threads: Counter = Counter()
        self.failed: set[int] = set()
        self.lock = threading.Lock()
        self.waiting = threading.Semaphore(0)  # released once per item that reached the gate
        self.define_slot("input", self.on_item)
        self.define_event("out", ["item"])

    def on_item(self, item: int) -> None:
        if self.gate is not None:
            self.waiting.release()
            assert self.gate.wait(30), "the test never opened the gate"
        with self.lock:
            self.threads[threading.current_thread().name.rsplit("-", 1)[0]] += 1
            first_failure = self.flaky and item % 2 == 1 and item not in self.failed
            if first_failure:
                self.failed.add(item)
        if first_failure:
            raise RuntimeError(f"item {item} fails once")
        self.emit("out", item=item)


class Sink(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.items: list[int] = []
        self.threads: set[str] = set()
        self.define_slot("input", self.on_item)

    def on_item(self, item: int) -> None:
        self.threads.add(threading.current_thread().name.rsplit("-", 1)[0])
        self.items.append(item)  # one sequential thread: no lock needed


def build(work: Work) -> tuple[Flow, Sink]:
    from engine_fixtures.routines import Source

    flow = Flow(flow_id="mixed")
    sink = Sink()
    flow.add_routine(Source(), "source")
    flow.add_routine(work, "work")
    flow.add_routine(sink, "sink")
    flow.connect("source", "out", "work", "input")
    flow.connect("work", "out", "sink", "input")
    flow.set_routine_executor("work", "concurrent", max_workers=4)
    return flow, sink


def test_a_routine_runs_on_its_own_executor_and_the_rest_on_the_flows() -> None:
    work = Work()
    flow, sink = build(work)
    job = flow.execute("source", {"count": ITEMS})
    assert JobState.wait_for_completion(flow, job, timeout=30)
    flow.shutdown()
    assert job.status == "completed"
    assert sorted(sink.items) == list(range(ITEMS))
    assert set(work.threads) == {"routilux-conc-worker"}
    assert sink.threads == {"routilux-seq-worker"}
    assert flow.routine_executors["work"].name == "concurrent"


def test_retries_on_a_routine_executor_complete_the_job() -> None:
    work = Work(flaky=True)
    flow, sink = build(work)
    work.set_error_handler(ErrorHandler(strategy=ErrorStrategy.RETRY, max_retries=2, retry_delay=0.0))
    job = flow.execute("source", {"count": ITEMS})
    assert JobState.wait_for_completion(flow, job, timeout=30)
    flow.shutdown()
    assert job.status == "completed"
    assert sorted(sink.items) == list(range(ITEMS))
    assert job.routine_stats()["work"].retries == ITEMS // 2


def test_pause_resume_and_cancel_reach_every_executor() -> None:
    gate = threading.Event()
    work = Work(gate=gate)
    flow, sink = build(work)
    job = flow.execute("source", {"count": ITEMS})
    for _ in range(4):  # the routine's four threads each hold an item at the gate
        assert work.waiting.acquire(timeout=30)
    assert flow.pause(job, timeout=0.05) is False  # those four still run: the pause cannot settle yet
    assert job.status == "paused"
    gate.set()
    assert JobState.wait_for_completion(flow, job, timeout=30)  # paused, and quiet
    assert job.status == "paused" and len(sink.items) < ITEMS
    flow.resume(job)
    assert JobState.wait_for_completion(flow, job, timeout=30)
    assert job.status == "completed" and sorted(sink.items) == list(range(ITEMS))

    gate.clear()
    second = flow.execute("source", {"count": ITEMS})
    flow.cancel(second, reason="enough")
    gate.set()
    assert JobState.wait_for_completion(flow, second, timeout=30)
    flow.shutdown()
    assert second.status == "cancelled"
    assert len(sink.items) <= ITEMS + 4  # at most the items already past the gate


def test_choosing_none_runs_the_routine_on_the_flows_executor_again() -> None:
    work = Work()
    flow, sink = build(work)
    flow.set_routine_executor("work", None)
    job = flow.execute("source", {"count": 3})
    assert JobState.wait_for_completion(flow, job, timeout=30)
    flow.shutdown()
    assert set(work.threads) == {"routilux-seq-worker"} and flow.routine_executors == {}


def test_bad_choices_are_refused_with_what_is_valid() -> None:
    flow, _sink = build(Work())
    known = r"no such routine in flow 'mixed'; routines: \['sink', 'source', 'work'\]"
    with pytest.raises(ValueError, match=known):
        flow.set_routine_executor("nope", "concurrent")
    with pytest.raises(ValueError, match="concurrent.*sequential"):
        flow.set_routine_executor("work", "warp-drive")
    # Settings the executor cannot take are refused when chosen, not met by the first activation.
    chosen = dict(flow.routine_executors)
    unknown = r"executor 'sequential' has no option 'colour'; its options: idle_timeout"
    with pytest.raises(TypeError, match=unknown):
        flow.set_routine_executor("work", "sequential", colour="red")
    takes_none = r"executor 'synchronous' has no option 'idle_timeout'; its options: none"
    with pytest.raises(TypeError, match=takes_none):
        flow.set_routine_executor("work", "synchronous", idle_timeout=1)
    for workers in (0, -2, "3", True, 1.5):
        with pytest.raises(ValueError, match=rf"executor 'concurrent': max_workers must be a positive int, "
                                             rf"got {workers!r}"):
            flow.set_routine_executor("work", "concurrent", max_workers=workers)
    assert flow.routine_executors == chosen  # nothing refused was kept
    flow.set_routine_executor("work", "concurrent", max_workers=2, idle_timeout=0.5)
    assert flow.routine_executors["work"].options == {"idle_timeout": 0.5}


def test_a_flows_executor_options_are_checked_by_name_when_it_is_created() -> None:
    options = {"idle_timeout": 1, "size": 2}
    flow = Flow(flow_id="opts", execution_strategy="concurrent", executor_options=options)
    flow.add_routine(Work(), "work")
    unknown = r"executor 'concurrent' has no option 'size'; its options: idle_timeout"
    with pytest.raises(TypeError, match=unknown):
        flow.execute("work", entry_params={})
