"""Execution semantics (spec §1, §7.1, §7.3, §8, §11.4, §12, §13): routing, ordering, completion per job.

Every test synchronises with threading primitives (events, barriers) that carry a timeout;
nothing sleeps hoping that another thread got somewhere.
"""

from __future__ import annotations

import queue
import threading
from typing import Any

import pytest

from routilux import ErrorHandler, ExecutionContext, Flow, JobState, QueueOutputHandler, Routine
from routilux.routine import _current_job_state

WAIT = 10.0


class Source(Routine):
    """Trigger emits ``out`` once per item of ``items`` (or once with ``params``)."""

    def __init__(self) -> None:
        super().__init__()
        self.trigger_jobs: list[Any] = []
        self.define_slot("trigger", self._on_trigger)
        self.define_event("out")

    def _on_trigger(self, **params: Any) -> None:
        self.trigger_jobs.append(_current_job_state.get(None))
        items = params.pop("items", None)
        if items is None:
            self.emit("out", **params)
        else:
            for item in items:
                self.emit("out", item=item)


class Recorder(Routine):
    """Records what it receives, the job it runs for and the thread it runs on."""

    def __init__(self, label: str = "", log: list[Any] | None = None) -> None:
        super().__init__()
        self.label = label
        self.log = log if log is not None else []
        self.seen: list[dict[str, Any]] = []
        self.jobs: list[Any] = []
        self.threads: list[str] = []
        self._lock = threading.Lock()
        self.define_slot("input", self._on_input)
        self.define_event("out")

    def _on_input(self, **data: Any) -> None:
        with self._lock:
            self.seen.append(dict(data))
            self.jobs.append(_current_job_state.get(None))
            self.threads.append(threading.current_thread().name)
            self.log.append((self.label, data.get("item")))
        self.emit("out", **data)


class Gate(Routine):
    """Blocks its handler until ``release`` is set, unless the payload says ``fast``."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()
        self.released_in_time: list[bool] = []
        self.define_slot("input", self._on_input)
        self.define_event("out")

    def _on_input(self, **data: Any) -> None:
        if not data.get("fast"):
            self.entered.set()
            self.released_in_time.append(self.release.wait(WAIT))
        self.emit("out", **data)


def _wait(flow: Flow, job: JobState) -> None:
    assert JobState.wait_for_completion(flow, job, timeout=WAIT), f"{job!r} did not finish"


def _chain(flow: Flow, *routines: tuple[str, Routine], slot: str = "input") -> None:
    for rid, routine in routines:
        flow.add_routine(routine, rid)
    for (source_id, _), (target_id, _) in zip(routines, routines[1:]):
        flow.connect(source_id, "out", target_id, slot)


# -- execute returns after the entry handler, the engine finalises ----------------------------------


def test_execute_returns_running_while_downstream_is_held() -> None:
    flow = Flow()
    gate, sink = Gate(), Recorder()
    _chain(flow, ("src", Source()), ("gate", gate), ("sink", sink))
    job = flow.execute("src", entry_params={"value": 1})
    try:
        assert gate.entered.wait(WAIT)
        assert job.status == "running"
        assert job.get_routine_state("src") == {"status": "completed"}
        assert job.current_routine_id == "src"
        assert sink.seen == []
    finally:
        gate.release.set()
    _wait(flow, job)
    assert job.status == "completed"
    assert sink.seen == [{"value": 1}]
    assert gate.released_in_time == [True]


def test_engine_sets_final_status_when_last_activation_ends_without_any_waiter() -> None:
    # Sequential mode runs activations one at a time in FIFO order, so when the probe job's
    # handler runs, the activation queued before it (the only work of ``first``) has ended.
    flow = Flow()
    probe_seen: list[str] = []
    target = Recorder()

    class Probe(Routine):
        def __init__(self) -> None:
            super().__init__()
            self.define_slot("input", self._on_input)

        def _on_input(self, **data: Any) -> None:
            probe_seen.append(data["watch"].status)

    class Failing(Routine):
        def __init__(self) -> None:
            super().__init__()
            self.define_slot("input", self._on_input)
            self.set_error_handler(ErrorHandler(strategy="stop"))

        def _on_input(self, **data: Any) -> None:
            raise RuntimeError("boom")

    failing = Failing()

    src, src_fail, src_probe = Source(), Source(), Source()
    for rid, routine in (("src", src), ("src_fail", src_fail), ("src_probe", src_probe),
                         ("target", target), ("failing", failing), ("probe", Probe())):
        flow.add_routine(routine, rid)
    flow.connect("src", "out", "target", "input")
    flow.connect("src_fail", "out", "failing", "input")
    flow.connect("src_probe", "out", "probe", "input")

    first = flow.execute("src", entry_params={"value": 1})
    second = flow.execute("src_fail", entry_params={"value": 2})
    observer = flow.execute("src_probe", entry_params={"watch": first})
    observer_fail = flow.execute("src_probe", entry_params={"watch": second})
    _wait(flow, observer)
    _wait(flow, observer_fail)
    assert probe_seen == ["completed", "failed"]


def test_wait_for_finished_job_returns_at_once() -> None:
    flow = Flow()
    _chain(flow, ("src", Source()), ("sink", Recorder()))
    job = flow.execute("src", entry_params={"value": 1})
    _wait(flow, job)
    # A polling waiter needs time to see stability; a finished job needs none.
    assert JobState.wait_for_completion(flow, job, timeout=0) is True
    assert JobState.wait_for_completion(flow, job, 0) is True
    assert job.status == "completed"


def test_wait_times_out_and_leaves_status_alone() -> None:
    flow = Flow()
    gate = Gate()
    _chain(flow, ("src", Source()), ("gate", gate))
    job = flow.execute("src")
    try:
        assert gate.entered.wait(WAIT)
        assert JobState.wait_for_completion(flow, job, timeout=0.05) is False
        assert job.status == "running"
    finally:
        gate.release.set()
    _wait(flow, job)
    assert job.status == "completed"


def test_finished_job_not_held_back_by_slow_job_on_same_flow() -> None:
    flow = Flow(execution_strategy="concurrent", max_workers=4)
    gate, sink = Gate(), Recorder()
    _chain(flow, ("src", Source()), ("gate", gate), ("sink", sink))
    slow = flow.execute("src", entry_params={"name": "slow"})
    try:
        assert gate.entered.wait(WAIT)
        fast = flow.execute("src", entry_params={"name": "fast", "fast": True})
        # No timeout: this wait must not depend on the slow job at all.
        results: list[bool] = []
        waiter = threading.Thread(target=lambda: results.append(JobState.wait_for_completion(flow, fast)))
        waiter.start()
        waiter.join(WAIT)
        assert not waiter.is_alive(), "waiting on the fast job waited for the slow one"
        assert results == [True]
        assert fast.status == "completed"
        assert slow.status == "running"
        assert [s["name"] for s in sink.seen] == ["fast"]
    finally:
        gate.release.set()
    _wait(flow, slow)
    assert slow.status == "completed"
    assert sorted(s["name"] for s in sink.seen) == ["fast", "slow"]
    flow.shutdown()


def test_progress_callback_signature_is_accepted() -> None:
    flow = Flow()
    _chain(flow, ("src", Source()), ("sink", Recorder()))
    job = flow.execute("src")
    calls: list[Any] = []
    assert JobState.wait_for_completion(
        flow, job, timeout=WAIT, stability_checks=1, check_interval=0.01, stability_delay=0.0,
        progress_callback=lambda *args: calls.append(args),
    )
    assert job.status == "completed"


# -- routing and ordering (§7.3, §20 item 12) ---------------------------------------------------------


def test_sequential_siblings_run_in_connection_order() -> None:
    flow = Flow()
    log: list[Any] = []
    flow.add_routine(Source(), "src")
    for label in ("r1", "r2", "r3"):
        flow.add_routine(Recorder(label, log), label)
        flow.connect("src", "out", label, "input")
    job = flow.execute("src", entry_params={"items": ["a", "b"]})
    _wait(flow, job)
    assert log == [("r1", "a"), ("r2", "a"), ("r3", "a"), ("r1", "b"), ("r2", "b"), ("r3", "b")]


def test_sequential_repeated_emits_in_emit_order_on_one_thread() -> None:
    flow = Flow()
    sink = Recorder("sink")
    _chain(flow, ("src", Source()), ("sink", sink))
    items = [f"item_{i}" for i in range(50)]
    job = flow.execute("src", entry_params={"items": items})
    _wait(flow, job)
    assert [s["item"] for s in sink.seen] == items
    assert len(set(sink.threads)) == 1
    assert sink.threads[0] != threading.current_thread().name


def test_concurrent_mode_runs_handlers_on_several_threads_at_once() -> None:
    parties = 4
    barrier = threading.Barrier(parties, timeout=WAIT)
    passed: list[str] = []
    broken: list[BaseException] = []
    lock = threading.Lock()

    class Meeting(Routine):
        def __init__(self) -> None:
            super().__init__()
            self.define_slot("input", self._on_input)

        def _on_input(self, item: Any) -> None:
            try:
                barrier.wait()  # only returns once ``parties`` handlers are inside at the same time
            except threading.BrokenBarrierError as error:
                broken.append(error)
                raise
            with lock:
                passed.append(threading.current_thread().name)

    flow = Flow(execution_strategy="concurrent", max_workers=parties)
    flow.add_routine(Source(), "src")
    flow.add_routine(Meeting(), "meet")
    flow.connect("src", "out", "meet", "input")
    job = flow.execute("src", entry_params={"items": list(range(parties))})
    _wait(flow, job)
    assert broken == []
    assert len(passed) == parties and len(set(passed)) == parties
    assert job.status == "completed"
    flow.shutdown()


def test_param_mapping_applied_in_flow_mode() -> None:
    received: list[Any] = []

    class Target(Routine):
        def __init__(self) -> None:
            super().__init__()
            self.define_slot("input", self._on_input)
            self.define_slot("raw", self._on_raw)

        def _on_input(self, mapped_param: Any, other_param: Any) -> None:
            received.append(("input", mapped_param, other_param))

        def _on_raw(self, **data: Any) -> None:
            received.append(("raw", data))

    flow = Flow()
    flow.add_routine(Source(), "src")
    flow.add_routine(Target(), "t")
    flow.connect("src", "out", "t", "input", param_mapping={"value": "mapped_param"})
    flow.connect("src", "out", "t", "raw", param_mapping={"a": "x", "missing": "y"})
    job = flow.execute("src", entry_params={"value": 5, "other_param": "kept", "a": 1, "x": 9})
    _wait(flow, job)
    assert received[0] == ("input", 5, "kept")
    # The mapped name, the original source key and unmapped keys all arrive; an incoming key
    # equal to a mapping target is dropped, a mapped key that is absent adds nothing.
    assert received[1] == ("raw", {"x": 1, "a": 1, "value": 5, "other_param": "kept"})


def test_event_connect_link_delivers_unmapped_in_flow_mode() -> None:
    flow = Flow()
    src, sink = Source(), Recorder()
    flow.add_routine(src, "src")
    flow.add_routine(sink, "sink")
    src.get_event("out").connect(sink.get_slot("input"), param_mapping={"value": "renamed"})
    assert flow.connections == []
    job = flow.execute("src", entry_params={"value": 3})
    _wait(flow, job)
    assert sink.seen == [{"value": 3}]
    assert sink.jobs == [job]


# -- the job inside handlers (§2.6) -------------------------------------------------------------------


def test_context_var_is_the_job_in_entry_and_worker_handlers() -> None:
    flow = Flow(execution_strategy="concurrent", max_workers=3)
    src, a, b = Source(), Recorder(), Recorder()
    _chain(flow, ("src", src), ("a", a), ("b", b))
    jobs = [flow.execute("src", entry_params={"n": n}) for n in range(5)]
    for job in jobs:
        _wait(flow, job)
    assert src.trigger_jobs == jobs
    by_n = {seen["n"]: job for seen, job in zip(a.seen, a.jobs)}
    assert by_n == {n: jobs[n] for n in range(5)}
    assert {seen["n"]: job for seen, job in zip(b.seen, b.jobs)} == by_n
    assert _current_job_state.get(None) is None  # nothing leaks into the caller
    flow.shutdown()


def test_get_execution_context_inside_handler_only() -> None:
    contexts: list[Any] = []

    class Probe(Routine):
        def __init__(self) -> None:
            super().__init__()
            self.define_slot("input", self._on_input)

        def _on_input(self, **data: Any) -> None:
            contexts.append(self.get_execution_context())

    flow = Flow()
    probe = Probe()
    _chain(flow, ("src", Source()), ("probe", probe))
    assert probe.get_execution_context() is None
    job = flow.execute("src")
    _wait(flow, job)
    (context,) = contexts
    assert isinstance(context, ExecutionContext)
    flow_, job_, routine_id = context
    assert (flow_, job_, routine_id) == (flow, job, "probe")
    assert probe.get_execution_context() is None
    with pytest.raises(RuntimeError, match="Cannot send output"):
        probe.send_output("x", a=1)
    with pytest.raises(RuntimeError, match="Cannot emit deferred event"):
        probe.emit_deferred_event("out", a=1)


def test_send_output_reaches_queue_output_handler() -> None:
    class Reporter(Routine):
        def __init__(self) -> None:
            super().__init__()
            self.define_slot("input", self._on_input)

        def _on_input(self, **data: Any) -> None:
            self.send_output("progress", step=data["value"], note="ok")

    flow = Flow()
    gate = Gate()
    _chain(flow, ("src", Source()), ("gate", gate), ("reporter", Reporter()))
    sink: queue.Queue[dict[str, Any]] = queue.Queue()
    job = flow.execute("src", entry_params={"value": 7})
    try:
        assert gate.entered.wait(WAIT)
        job.set_output_handler(QueueOutputHandler(sink))
    finally:
        gate.release.set()
    _wait(flow, job)
    item = sink.get(timeout=WAIT)
    assert item["job_id"] == job.job_id
    assert item["routine_id"] == "reporter"
    assert item["output_type"] == "progress"
    assert item["data"] == {"step": 7, "note": "ok"}
    assert isinstance(item["timestamp"], str)
    assert sink.empty()
    assert [(o["routine_id"], o["output_type"], o["data"]) for o in job.output_log] == [
        ("reporter", "progress", {"step": 7, "note": "ok"})
    ]


# -- execution tracker (§12) ----------------------------------------------------------------------------


def test_execution_tracker_after_execute() -> None:
    flow = Flow(flow_id="tracked")
    _chain(flow, ("src", Source()), ("sink", Recorder()))
    job = flow.execute("src", entry_params={"value": 1})
    tracker = flow.execution_tracker
    assert tracker is not None
    assert tracker.flow_id == "tracked"
    assert "src" in tracker.routine_executions
    assert tracker.routine_executions["src"][0]["params"] == {"value": 1}
    assert len(tracker.event_flow) >= 1
    assert tracker.event_flow[0]["event_name"] == "out"
    _wait(flow, job)
    second = flow.execute("src", entry_params={"value": 2})
    assert flow.execution_tracker is not tracker  # a new tracker per execute
    _wait(flow, second)


def test_job_history_records_start_and_emits() -> None:
    flow = Flow()
    _chain(flow, ("src", Source()), ("mid", Recorder()), ("sink", Recorder()))
    job = flow.execute("src", entry_params={"value": 4})
    _wait(flow, job)
    events = [(r.routine_id, r.event_name) for r in job.get_execution_history()]
    assert events[0] == ("src", "start")
    assert ("src", "out") in events and ("mid", "out") in events
    assert [(r.routine_id, r.event_name) for r in job.get_execution_history("mid")] == [("mid", "out")]


# -- status rules and transitions (§8.2 step 2, §11.4) -------------------------------------------------


def test_routine_state_failed_or_error_written_by_a_handler_fails_the_job() -> None:
    class Marker(Routine):
        def __init__(self) -> None:
            super().__init__()
            self.define_slot("input", self._on_input)

        def _on_input(self, status: str) -> None:
            job = _current_job_state.get(None)
            job.update_routine_state("marker", {"status": status})

    flow = Flow()
    _chain(flow, ("src", Source()), ("marker", Marker()))
    outcomes = {}
    for status in ("error", "failed", "done", "skipped"):
        job = flow.execute("src", entry_params={"status": status})
        _wait(flow, job)
        outcomes[status] = job.status
    assert outcomes == {"error": "failed", "failed": "failed", "done": "completed", "skipped": "completed"}


def test_status_transitions_of_a_finished_job() -> None:
    flow = Flow()
    sink = Recorder()
    _chain(flow, ("src", Source()), ("sink", sink))
    job = JobState(flow.flow_id)
    assert job.status == "pending"
    assert JobState.wait_for_completion(flow, job, timeout=0.05) is False  # never started
    assert job.status == "pending"

    job = flow.execute("src", entry_params={"value": 1})
    _wait(flow, job)
    assert job.status == "completed"
    flow.pause(job, checkpoint={"after": "done"})  # any -> paused
    assert job.status == "paused" and job.pause_points[-1]["checkpoint"] == {"after": "done"}
    assert flow.resume(job) is job  # paused -> running, and final again at once
    _wait(flow, job)
    assert job.status == "completed"
    flow.cancel(job)  # any -> cancelled
    assert job.status == "cancelled"
    assert JobState.wait_for_completion(flow, job, timeout=0) is True
    assert sink.seen == [{"value": 1}]


def test_wait_until_condition() -> None:
    flow = Flow()
    gate, sink = Gate(), Recorder()
    _chain(flow, ("src", Source()), ("gate", gate), ("sink", sink))
    job = flow.execute("src", entry_params={"items": [1, 2, 3]})
    try:
        assert gate.entered.wait(WAIT)
        some_seen = lambda f, j: len(sink.seen) >= 1
        assert JobState.wait_until_condition(flow, job, some_seen, timeout=0.05) is False
    finally:
        gate.release.set()
    assert JobState.wait_until_condition(flow, job, lambda f, j: len(sink.seen) == 3, timeout=WAIT) is True

    def broken(f: Flow, j: JobState) -> bool:
        raise RuntimeError("bad condition")

    _wait(flow, job)
    assert JobState.wait_until_condition(flow, job, broken, timeout=WAIT) is False


def test_output_handlers_callback_and_failure() -> None:
    from routilux import CallbackOutputHandler

    calls: list[Any] = []

    class Reporter(Routine):
        def __init__(self) -> None:
            super().__init__()
            self.define_slot("input", self._on_input)

        def _on_input(self, **data: Any) -> None:
            self.send_output("result", value=data["value"])

    class Broken:
        def handle(self, **kwargs: Any) -> None:
            raise OSError("sink offline")

    flow = Flow()
    gate = Gate()
    _chain(flow, ("src", Source()), ("gate", gate), ("reporter", Reporter()))
    job = flow.execute("src", entry_params={"value": 1})
    try:
        assert gate.entered.wait(WAIT)
        job.set_output_handler(CallbackOutputHandler(lambda *args: calls.append(args)))
    finally:
        gate.release.set()
    _wait(flow, job)
    ((job_id, routine_id, output_type, data, timestamp),) = calls
    assert (job_id, routine_id, output_type, data) == (job.job_id, "reporter", "result", {"value": 1})

    job.set_output_handler(Broken())
    with pytest.warns(Warning, match="Output handler failed"):
        job.send_output("reporter", "result", {"value": 2})
    assert [o["data"] for o in job.output_log] == [{"value": 1}, {"value": 2}]
