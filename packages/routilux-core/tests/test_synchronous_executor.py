"""The ``synchronous`` executor: activations run in the emitting thread, before the outermost emit returns."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from routilux import ErrorHandler, Flow, JobState, Routine


class Source(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.define_slot("trigger", handler=self.on_trigger)
        self.define_event("out", ["value"])

    def on_trigger(self, count: int = 1, start: int = 0) -> None:
        for value in range(start, start + count):
            self.emit("out", value=value)


class Relay(Routine):
    """Emits ``value + 1`` and, with ``twice``, ``value + 100`` too; logs when its handler returns."""

    def __init__(self, log: list[Any], twice: bool = False) -> None:
        super().__init__()
        self.log = log
        self.twice = twice
        self.define_slot("in", handler=self.on_value)
        self.define_event("out", ["value"])

    def on_value(self, value: int) -> None:
        self.emit("out", value=value + 1)
        if self.twice:
            self.emit("out", value=value + 100)
        self.log.append(("relay returned", value))


class Sink(Routine):
    """Logs ``(tag, value, thread ident)`` per delivery; can pause its job or fail once per value."""

    def __init__(self, log: list[Any], tag: str = "sink") -> None:
        super().__init__()
        self.log = log
        self.tag = tag
        self.pause_at: int | None = None
        self.fail_once: set[int] = set()
        self.define_slot("in", handler=self.on_value)

    def on_value(self, value: int) -> None:
        if value in self.fail_once:
            self.fail_once.discard(value)
            raise RuntimeError(f"failing once at {value}")
        self.log.append((self.tag, value, threading.get_ident()))
        if value == self.pause_at:
            context = self.get_execution_context()
            assert context is not None
            context.flow.pause(context.job_state, reason="asked by the sink")


def pipeline(log: list[Any], *, twice: bool = False) -> tuple[Flow, Sink]:
    flow = Flow(flow_id="sync", execution_strategy="synchronous")
    sink = Sink(log)
    flow.add_routine(Source(), "src")
    flow.add_routine(Relay(log, twice=twice), "relay")
    flow.add_routine(sink, "sink")
    flow.connect("src", "out", "relay", "in")
    flow.connect("relay", "out", "sink", "in")
    return flow, sink


def deliveries(log: list[Any]) -> list[tuple[str, int]]:
    return [(entry[0], entry[1]) for entry in log if entry[0] != "relay returned"]


def test_execute_returns_the_finished_job_its_handlers_ran_in_the_calling_thread():
    log: list[Any] = []
    flow, _ = pipeline(log)
    job = flow.execute("src", entry_params={"count": 3})
    assert job.status == "completed"
    assert JobState.wait_for_completion(flow, job, timeout=0) is True
    assert deliveries(log) == [("sink", 1), ("sink", 2), ("sink", 3)]
    assert {entry[2] for entry in log if entry[0] == "sink"} == {threading.get_ident()}
    stats = job.routine_stats()
    assert (stats["relay"].succeeded, stats["sink"].succeeded, stats["sink"].queued) == (3, 3, 0)


def test_an_emit_from_an_activation_queues_and_runs_after_the_handler_returns():
    log: list[Any] = []
    flow, _ = pipeline(log, twice=True)
    flow.execute("src", entry_params={"count": 2})
    # Each trigger emit drains before the next; a relay's own emits run after it returned, in order.
    assert log == [
        ("relay returned", 0), ("sink", 1, threading.get_ident()), ("sink", 100, threading.get_ident()),
        ("relay returned", 1), ("sink", 2, threading.get_ident()), ("sink", 101, threading.get_ident()),
    ]


def test_a_long_chain_runs_as_a_loop_not_as_nested_calls():
    log: list[Any] = []
    flow = Flow(flow_id="long", execution_strategy="synchronous")
    flow.add_routine(Source(), "src")
    previous = "src"
    for index in range(5000):  # far deeper than the recursion limit
        flow.add_routine(Relay(log), f"r{index}")
        flow.connect(previous, "out", f"r{index}", "in")
        previous = f"r{index}"
    flow.add_routine(Sink(log), "sink")
    flow.connect(previous, "out", "sink", "in")
    job = flow.execute("src", entry_params={"count": 1})
    assert job.status == "completed"
    assert deliveries(log) == [("sink", 5000)]


def test_jobs_executed_from_several_threads_each_run_in_their_caller():
    log: list[Any] = []
    flow, _ = pipeline(log)
    barrier = threading.Barrier(4)
    jobs: dict[int, JobState] = {}

    def run(start: int) -> None:
        barrier.wait()
        jobs[threading.get_ident()] = flow.execute("src", entry_params={"count": 50, "start": start * 1000})

    threads = [threading.Thread(target=run, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(job.status for job in jobs.values()) == ["completed"] * 4
    delivered = [entry for entry in log if entry[0] == "sink"]
    for ident in jobs:
        mine = [value for _, value, thread in delivered if thread == ident]
        assert len(mine) == 50 and mine == sorted(mine)
    expected = sorted(k * 1000 + v + 1 for k in range(4) for v in range(50))
    assert sorted(value for _, value, _ in delivered) == expected


def test_a_pause_from_a_handler_holds_the_rest_and_resume_runs_it_in_the_resuming_thread():
    log: list[Any] = []
    flow, sink = pipeline(log)
    sink.pause_at = 2
    job = flow.execute("src", entry_params={"count": 4})
    assert job.status == "paused"
    assert deliveries(log) == [("sink", 1), ("sink", 2)]
    assert job.pending_tasks, "the job's remaining work is kept in the paused job"
    resumer: dict[str, int] = {}

    def resume() -> None:
        resumer["ident"] = threading.get_ident()
        flow.resume(job)

    thread = threading.Thread(target=resume)
    thread.start()
    thread.join()
    assert JobState.wait_for_completion(flow, job, timeout=0) is True
    assert job.status == "completed"
    assert deliveries(log) == [("sink", 1), ("sink", 2), ("sink", 3), ("sink", 4)]
    assert [entry[2] for entry in log if entry[0] == "sink"][2:] == [resumer["ident"]] * 2


def test_a_retry_without_delay_runs_next_within_the_same_execute():
    log: list[Any] = []
    flow, sink = pipeline(log)
    sink.fail_once = {2}
    sink.set_error_handler(ErrorHandler(strategy="retry", max_retries=2, retry_delay=0))
    job = flow.execute("src", entry_params={"count": 3})
    assert job.status == "completed"
    # The retry is submitted while its failed run is being settled: it runs next, before value 3.
    assert deliveries(log) == [("sink", 1), ("sink", 2), ("sink", 3)]
    assert job.routine_stats()["sink"].retries == 1


def test_options_are_refused_by_name():
    log: list[Any] = []
    flow = Flow(flow_id="opts", execution_strategy="synchronous", executor_options={"idle_timeout": 1})
    flow.add_routine(Source(), "src")
    takes_none = r"executor 'synchronous' has no option 'idle_timeout'; its options: none"
    with pytest.raises(TypeError, match=takes_none):
        flow.execute("src", entry_params={"count": 1})
    assert log == []
