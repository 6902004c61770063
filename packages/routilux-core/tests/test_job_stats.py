"""Per-job routine figures kept by the engine: ``JobState.routine_stats()`` (issue 10 item 3).

The figures are counted by the engine on every executor (sequential, concurrent and the remote
path of the executor contract), never by wrapping handlers; routines are named by their id in the
flow; the figures travel with the job's serialized form.
"""

from __future__ import annotations

import json
import threading
import typing
from typing import Any

import attrs
import pytest

import routilux
from routilux import ErrorHandler, Flow, JobState, Routine, RoutineStats
from routilux.plugins import PluginRegistry
from routilux.routine import _current_job_state

WAIT = 10.0

pytestmark = pytest.mark.usefixtures("fixtures_on_path")  # conftest.py: engine_fixtures imports


class Pay(Routine):
    """Fails the first ``flaky`` attempts of each item in ``fail_items``; ``always`` items always fail."""

    def __init__(self, fail_items: tuple = (), flaky: int = 1, always: tuple = ()) -> None:
        super().__init__()
        self.fail_items, self.flaky, self.always = set(fail_items), flaky, set(always)
        self.attempts: dict[int, int] = {}
        self._lock = threading.Lock()
        self.define_slot("input", self._on_input)
        self.define_event("out", ["item"])

    def _on_input(self, item: int) -> None:
        with self._lock:
            attempt = self.attempts[item] = self.attempts.get(item, 0) + 1
        if item in self.always or (item in self.fail_items and attempt <= self.flaky):
            raise ConnectionError(f"card declined for item {item}")
        self.emit("out", item=item)


class Sink(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.items: list[int] = []
        self._lock = threading.Lock()
        self.define_slot("input", self._on_input)

    def _on_input(self, item: int) -> None:
        with self._lock:
            self.items.append(item)


def _flow(pay: Routine, **flow_kwargs: Any) -> tuple[Flow, Sink]:
    from engine_fixtures.routines import Source, linear_flow

    sink = Sink()
    return linear_flow(Source(), ("pay", pay, "input"), ("sink", sink, "input"), **flow_kwargs), sink


def _run(flow: Flow, count: int) -> JobState:
    job = flow.execute("src", entry_params={"count": count})
    assert JobState.wait_for_completion(flow, job, timeout=WAIT), f"{job!r} did not finish"
    return job


def _figures(stats: RoutineStats) -> tuple:
    return (stats.activations, stats.succeeded, stats.failed, stats.retries,
            stats.unhandled_errors, stats.accepted_errors, stats.queued)


# -- the public type ------------------------------------------------------------------------------


def test_routine_stats_is_a_public_final_frozen_attrs_class() -> None:
    assert "RoutineStats" in routilux.__all__ and routilux.RoutineStats is RoutineStats
    assert attrs.has(RoutineStats) and getattr(RoutineStats, "__final__", False) is True
    assert [f.name for f in attrs.fields(RoutineStats)] == [
        "routine_id", "activations", "succeeded", "failed", "retries", "unhandled_errors",
        "accepted_errors", "handler_seconds", "queued",
    ]
    empty = RoutineStats("pay")
    assert _figures(empty) == (0, 0, 0, 0, 0, 0, 0) and empty.handler_seconds == 0.0
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        empty.activations = 1  # type: ignore[misc]
    assert not hasattr(empty, "__dict__")  # slots
    assert typing.get_type_hints(JobState.routine_stats)["return"] == dict[str, RoutineStats]


# -- counting on the local executors -------------------------------------------------------------


@pytest.mark.parametrize("strategy", ["sequential", "concurrent"])
def test_retries_show_as_attempts_of_the_routine_named_by_its_flow_id(strategy: str) -> None:
    pay = Pay(fail_items=(1,), flaky=2)
    pay.set_error_handler(ErrorHandler(strategy="retry", max_retries=3, retry_delay=0))
    flow, sink = _flow(pay, execution_strategy=strategy, max_workers=3)
    try:
        job = _run(flow, 3)
        assert job.status == "completed"
        stats = job.routine_stats()
        assert set(stats) == {"src", "pay", "sink"}  # flow ids, never an internal counter like 'r3'
        assert stats["pay"].routine_id == "pay"
        # item 1 failed twice and succeeded on its third attempt
        assert _figures(stats["pay"]) == (5, 3, 2, 2, 0, 0, 0)
        assert _figures(stats["src"]) == (1, 1, 0, 0, 0, 0, 0)
        assert _figures(stats["sink"]) == (3, 3, 0, 0, 0, 0, 0)
        assert stats["pay"].handler_seconds > 0
        assert sorted(sink.items) == [0, 1, 2]
    finally:
        flow.shutdown()


def test_errors_under_no_strategy_are_unhandled_and_the_job_goes_on() -> None:
    flow, sink = _flow(Pay(always=(0, 2)))
    job = _run(flow, 4)
    assert job.status == "completed"  # the 0.10 default: recorded, the job goes on
    assert _figures(job.routine_stats()["pay"]) == (4, 2, 2, 0, 2, 0, 0)
    assert sorted(sink.items) == [1, 3]


@pytest.mark.parametrize("strategy", ["continue", "skip"])
def test_errors_a_strategy_accepted_are_counted_as_accepted(strategy: str) -> None:
    pay = Pay(always=(1,))
    pay.set_error_handler(ErrorHandler(strategy=strategy))
    flow, _ = _flow(pay)
    job = _run(flow, 3)
    assert job.status == "completed"
    assert _figures(job.routine_stats()["pay"]) == (3, 2, 1, 0, 0, 1, 0)


def test_exhausted_retries_fail_the_job_and_count_every_attempt() -> None:
    pay = Pay(always=(0,))
    pay.set_error_handler(ErrorHandler(strategy="retry", max_retries=2, retry_delay=0))
    flow, _ = _flow(pay)
    job = _run(flow, 1)
    assert job.status == "failed"
    assert _figures(job.routine_stats()["pay"]) == (3, 0, 3, 2, 0, 0, 0)


def test_entry_failures_and_entry_retries_are_counted() -> None:
    class FlakyEntry(Routine):
        def __init__(self) -> None:
            super().__init__()
            self.calls = 0
            self.define_slot("trigger", self._on_trigger)

        def _on_trigger(self, **params: Any) -> None:
            self.calls += 1
            if self.calls < 3:
                raise ValueError("not yet")

    entry = FlakyEntry()
    entry.set_error_handler(ErrorHandler(strategy="retry", max_retries=3, retry_delay=0))
    flow = Flow()
    flow.add_routine(entry, "entry")
    job = flow.execute("entry")
    assert JobState.wait_for_completion(flow, job, timeout=WAIT) and job.status == "completed"
    assert _figures(job.routine_stats()["entry"]) == (3, 1, 2, 2, 0, 0, 0)

    bare = FlakyEntry()  # no strategy: the entry's failure fails the job
    other = Flow()
    other.add_routine(bare, "entry")
    failed = other.execute("entry")
    assert failed.status == "failed"
    assert _figures(failed.routine_stats()["entry"]) == (1, 0, 1, 0, 1, 0, 0)


def test_concurrent_counts_lose_no_update() -> None:
    count = 3000
    flow, sink = _flow(Pay(), execution_strategy="concurrent", max_workers=4)
    try:
        job = _run(flow, count)
        stats = job.routine_stats()
        assert _figures(stats["pay"]) == (count, count, 0, 0, 0, 0, 0)
        assert _figures(stats["sink"]) == (count, count, 0, 0, 0, 0, 0)
        assert len(sink.items) == count
    finally:
        flow.shutdown()


def test_reading_while_the_job_runs_gives_consistent_figures() -> None:
    count = 2000
    flow, _ = _flow(Pay(always=tuple(range(0, count, 7))), execution_strategy="concurrent", max_workers=4)
    views: list[dict[str, RoutineStats]] = []
    try:
        job = flow.execute("src", entry_params={"count": count})
        while job.status == "running" and len(views) < 500:
            views.append(job.routine_stats())
        assert JobState.wait_for_completion(flow, job, timeout=WAIT)
        views.append(job.routine_stats())
    finally:
        flow.shutdown()
    previous: dict[str, RoutineStats] = {}
    for view in views:
        for rid, stats in view.items():
            assert stats.activations >= stats.succeeded + stats.failed, stats
            assert stats.failed >= stats.unhandled_errors + stats.accepted_errors, stats
            assert stats.queued >= 0, stats
            before = previous.get(rid)
            if before is not None:  # counts only grow
                assert stats.activations >= before.activations and stats.failed >= before.failed
        previous = view
    failures = len(range(0, count, 7))
    assert _figures(views[-1]["pay"]) == (count, count - failures, failures, 0, failures, 0, 0)


# -- queued: waiting work, held by a pause, dropped by a cancel -----------------------------------


class Gate(Routine):
    """Item 0 blocks until ``release``; every item is passed on."""

    def __init__(self) -> None:
        super().__init__()
        self.entered, self.release = threading.Event(), threading.Event()
        self.define_slot("input", self._on_input)
        self.define_event("out", ["item"])

    def _on_input(self, item: int) -> None:
        if item == 0:
            self.entered.set()
            assert self.release.wait(WAIT)
        self.emit("out", item=item)


def _gated(count: int) -> tuple[Flow, Gate, JobState]:
    gate = Gate()
    flow, _ = _flow(gate)
    job = flow.execute("src", entry_params={"count": count})
    assert gate.entered.wait(WAIT)
    return flow, gate, job


def test_queued_counts_waiting_and_held_work_until_it_runs() -> None:
    flow, gate, job = _gated(4)
    assert job.routine_stats()["pay"].queued == 3  # item 0 runs, items 1-3 wait
    assert job.routine_stats()["pay"].activations == 1
    pauser = threading.Thread(target=flow.pause, args=(job,))
    pauser.start()
    gate.release.set()
    pauser.join(WAIT)
    assert not pauser.is_alive() and job.status == "paused"
    stats = job.routine_stats()
    assert (stats["pay"].queued, stats["sink"].queued) == (3, 1)  # held by the pause
    flow.resume(job)
    assert JobState.wait_for_completion(flow, job, timeout=WAIT) and job.status == "completed"
    stats = job.routine_stats()
    assert _figures(stats["pay"]) == (4, 4, 0, 0, 0, 0, 0)
    assert _figures(stats["sink"]) == (4, 4, 0, 0, 0, 0, 0)


def test_cancel_drops_queued_work_from_the_figures() -> None:
    flow, gate, job = _gated(4)
    flow.cancel(job)
    gate.release.set()
    probe = flow.execute("src", entry_params={"count": 1})  # FIFO: runs after the dropped work
    assert JobState.wait_for_completion(flow, probe, timeout=WAIT)
    stats = job.routine_stats()
    assert _figures(stats["pay"]) == (1, 1, 0, 0, 0, 0, 0)
    assert stats.get("sink", RoutineStats("sink")).queued == 0


# -- the serialized form -------------------------------------------------------------------------


def test_figures_travel_with_the_saved_job_and_continue_after_a_resume_elsewhere() -> None:
    flow, gate, job = _gated(3)
    pauser = threading.Thread(target=flow.pause, args=(job,))
    pauser.start()
    gate.release.set()
    pauser.join(WAIT)
    assert job.status == "paused"
    data = json.loads(json.dumps(job.serialize()))
    assert data["routine_stats"]["pay"]["activations"] == 1
    assert data["routine_stats"]["pay"]["queued"] == 2

    loaded = JobState().deserialize(data)
    assert loaded.routine_stats() == job.routine_stats()
    other, _ = _flow(Pay())
    other.flow_id = flow.flow_id
    other.resume(loaded)
    assert JobState.wait_for_completion(other, loaded, timeout=WAIT) and loaded.status == "completed"
    stats = loaded.routine_stats()
    assert _figures(stats["pay"]) == (3, 3, 0, 0, 0, 0, 0)
    assert _figures(stats["sink"]) == (3, 3, 0, 0, 0, 0, 0)


def test_a_job_saved_before_figures_existed_loads_with_none() -> None:
    flow, _ = _flow(Pay())
    data = _run(flow, 2).serialize()
    del data["routine_stats"]
    assert JobState().deserialize(data).routine_stats() == {}


@pytest.mark.parametrize(
    "figures, error, match",
    [
        ({"pay": {"activations": "3"}}, TypeError, "activations.*must be an int"),
        ({"pay": {"failed": -1}}, ValueError, "failed.*negative"),
        ({"pay": {"handler_seconds": True}}, TypeError, "handler_seconds.*number"),
        ({"pay": []}, TypeError, "expected a dict"),
        ([], TypeError, "routine_stats"),
    ],
)
def test_malformed_figures_are_refused_naming_the_field(figures: Any, error: type, match: str) -> None:
    data = {**JobState("f").serialize(), "routine_stats": figures}
    with pytest.raises(error, match=match):
        JobState().deserialize(data)


# -- the remote path of the executor contract ------------------------------------------------------


def test_remote_executor_figures_come_back_with_the_result(remote_registry: PluginRegistry) -> None:
    import importlib

    routines = importlib.import_module("engine_fixtures.remote_routines")
    flow = Flow(execution_strategy="remote-thread", executor_options={"pickle_calls": True})
    failer = routines.RemoteFailer()
    failer.set_error_handler(ErrorHandler(strategy="retry", max_retries=2, retry_delay=0))
    flow.add_routine(routines.RemoteSource(), "src")
    flow.add_routine(routines.RemoteDoubler(), "double")
    flow.add_routine(routines.RemoteSink(), "sink")
    flow.add_routine(failer, "pay")
    flow.connect("src", "out", "double", "input")
    flow.connect("double", "out", "sink", "input")
    flow.connect("src", "out", "pay", "input")
    try:
        # One FIFO remote worker: double(0), pay(0), sink(0), then pay's two retries; the last
        # failure fails the job once its outcome is counted.
        job = flow.execute("src", entry_params={"count": 1, "tag": "stats-remote"})
        assert JobState.wait_for_completion(flow, job, timeout=WAIT)
        assert job.status == "failed"  # pay's retries are used up
        stats = job.routine_stats()
        assert _figures(stats["double"]) == (1, 1, 0, 0, 0, 0, 0)
        assert _figures(stats["sink"]) == (1, 1, 0, 0, 0, 0, 0)
        assert _figures(stats["pay"]) == (3, 0, 3, 2, 0, 0, 0)
        assert stats["double"].handler_seconds > 0  # measured where the handler ran, sent back
    finally:
        flow.shutdown()


def test_direct_receive_failures_are_counted_for_the_job() -> None:
    pay = Pay(always=(5,))
    flow, _ = _flow(pay)
    job = JobState(flow.flow_id)
    assert _current_job_state.get() is None
    pay.get_slot("input").receive({"item": 5}, job_state=job, flow=flow)
    assert _figures(job.routine_stats()["pay"]) == (1, 0, 1, 0, 1, 0, 0)


# -- names: routines are named by their id in the flow ----------------------------------------------


class EmitsNothingKnown(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.define_slot("input", self._on_input)

    def _on_input(self, item: int) -> None:
        self.emit("no_such_event", item=item)


def test_messages_and_records_name_routines_by_their_flow_id(caplog: pytest.LogCaptureFixture) -> None:
    from engine_fixtures.routines import Source, linear_flow

    pay = EmitsNothingKnown()
    flow = linear_flow(Source(), ("pay", pay, "input"))
    assert pay._id != "pay"  # the routine's own counter id, which messages must not use
    with caplog.at_level("ERROR"):
        job = _run(flow, 1)
        pay.get_slot("input").receive({"item": 2}, job_state=job, flow=flow)  # the direct path
    messages = [record.getMessage() for record in caplog.records]
    assert sum("Error in handler of pay.input" in message for message in messages) == 2, messages
    assert not any(pay._id in message for message in messages), messages
    errors = [r for r in job.get_execution_history() if r.event_name == "error"]
    assert [r.routine_id for r in errors] == ["pay", "pay"]
    assert "(routine 'pay' of its flow)" in errors[0].data["error"]
    events = flow.execution_tracker.event_flow
    assert (events[0]["source_routine_id"], events[0]["target_routine_id"]) == ("src", "pay")
