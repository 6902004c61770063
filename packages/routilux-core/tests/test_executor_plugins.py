"""A third-party executor and error strategy, registered through (fake) entry points and used by name.

The plugin lives in ``engine_fixtures/third_party.py``; it is found the way an installed
distribution's ``routilux`` entry point would be, through ``routilux.testing.FakeEntryPoint``
in a registry built by ``make_registry`` and installed with ``use_registry``.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from routilux import ErrorHandler, Flow, JobState, Routine
from routilux.plugins import PluginRegistry
from routilux.routine import _current_job_state
from routilux.testing import ExecutorPluginContract, FakeEntryPoint, make_registry, use_registry

PLUGIN = "engine_fixtures.third_party"
WAIT = 10.0


pytestmark = pytest.mark.usefixtures("plugin_env")  # conftest.py


@pytest.fixture
def entry_point() -> FakeEntryPoint:
    return FakeEntryPoint("third-party", PLUGIN, distribution="routilux-third-party", version="1.2.3")


@pytest.fixture
def registry(entry_point: FakeEntryPoint) -> Iterator[PluginRegistry]:
    registry = make_registry(entry_points=[entry_point])
    with use_registry(registry):
        yield registry


def _plugin_module() -> Any:
    import importlib

    return importlib.import_module(PLUGIN)


def _remote_routines() -> Any:
    import importlib

    return importlib.import_module("engine_fixtures.remote_routines")


class Worker(Routine):
    def __init__(self, fail: bool = False) -> None:
        super().__init__()
        self.fail = fail
        self.calls: list[tuple[int, Any, str]] = []
        self.define_slot("input", self._on_input)
        self.define_event("out", ["item"])

    def _on_input(self, item: int) -> None:
        self.calls.append((item, _current_job_state.get(None), threading.current_thread().name))
        if self.fail:
            raise RuntimeError(f"failure {item}")
        self.emit("out", item=item)


def _flow(strategy: str, *, fail: bool = False, **kwargs: Any) -> tuple[Flow, Worker, Worker]:
    from engine_fixtures.routines import Source, linear_flow

    worker, sink = Worker(fail=fail), Worker()
    flow = linear_flow(Source(), ("worker", worker, "input"), ("sink", sink, "input"),
                       execution_strategy=strategy, **kwargs)
    return flow, worker, sink


# -- registration -------------------------------------------------------------------------------------


def test_plugin_is_registered_from_the_entry_point(
    registry: PluginRegistry, entry_point: FakeEntryPoint
) -> None:
    assert registry.get_executor("inline").name == "inline"
    assert registry.get_executor("remote-thread").name == "remote-thread"
    assert registry.get_error_strategy("circuit_breaker").name == "circuit_breaker"
    # Core's built-ins stay available next to the plugin.
    assert {"sequential", "concurrent"} <= set(registry.executors)
    assert {"stop", "continue", "retry", "skip"} <= set(registry.error_strategies)
    (record,) = [r for r in registry.plugins if r.name == "third-party"]
    assert record.status == "ok"
    assert (record.distribution, record.version) == ("routilux-third-party", "1.2.3")
    assert set(record.provides) == {
        "executor:inline", "executor:remote-thread", "error_strategy:circuit_breaker",
    }
    assert entry_point.load_count == 1


def test_names_are_unknown_without_the_plugin() -> None:
    with use_registry(make_registry()):
        flow, worker, _ = _flow("inline")
        with pytest.raises(ValueError) as info:
            flow.execute("src", entry_params={"count": 1})
        assert "inline" in str(info.value) and "sequential" in str(info.value)
        assert worker.calls == []
        with pytest.raises(ValueError, match="circuit_breaker"):
            ErrorHandler(strategy="circuit_breaker")
        with pytest.raises(ValueError, match="Invalid execution strategy"):
            Flow().set_execution_strategy("inline")


def test_hooks_are_called_once_per_registry_never_per_activation(entry_point: FakeEntryPoint) -> None:
    registry = make_registry(entry_points=[entry_point])
    with use_registry(registry):
        assert "inline" in registry.executors  # discovery happens here
        module = _plugin_module()
        before = Counter(module.HOOK_CALLS)
        flow, worker, sink = _flow("inline")
        handler = ErrorHandler(strategy="circuit_breaker")
        handler.failure_threshold = 1000
        worker.set_error_handler(handler)
        for _ in range(3):
            job = flow.execute("src", entry_params={"count": 10})
            assert JobState.wait_for_completion(flow, job, timeout=WAIT)
        assert before == module.HOOK_CALLS
        assert entry_point.load_count == 1


# -- the inline executor (in-process path: runner.run) ---------------------------------------------------


def test_inline_executor_runs_a_flow_by_name(registry: PluginRegistry) -> None:
    module = _plugin_module()
    flow, worker, sink = _flow("inline", executor_options={"flavour": "plain"})
    job = flow.execute("src", entry_params={"count": 5})
    # Inline: every activation ran inside execute(), so the job is final on return.
    assert job.status == "completed"
    assert JobState.wait_for_completion(flow, job, timeout=0) is True
    executor = flow._get_executor()
    assert isinstance(executor, module.InlineExecutor)
    assert executor.options == {"flavour": "plain"}
    assert executor.submitted == 10
    assert [item for item, _, _ in sink.calls] == [0, 1, 2, 3, 4]
    me = threading.current_thread().name
    assert all(owner is job and thread == me for _, owner, thread in worker.calls + sink.calls)


def test_set_execution_strategy_accepts_a_plugin_executor(registry: PluginRegistry) -> None:
    module = _plugin_module()
    flow, _, sink = _flow("sequential")
    flow.set_execution_strategy("inline")
    assert flow.execution_strategy == "inline"
    job = flow.execute("src", entry_params={"count": 2})
    assert job.status == "completed"
    assert isinstance(flow._get_executor(), module.InlineExecutor)
    assert [item for item, _, _ in sink.calls] == [0, 1]


def test_shutdown_and_restart_with_plugin_executor(registry: PluginRegistry) -> None:
    flow, _, sink = _flow("inline")
    first_executor = flow._get_executor()
    flow.execute("src", entry_params={"count": 1})
    flow.shutdown()
    assert first_executor.shut_down is True
    job = flow.execute("src", entry_params={"count": 1})
    assert job.status == "completed"
    assert flow._get_executor() is not first_executor
    assert len(sink.calls) == 2


# -- the circuit-breaker error strategy ------------------------------------------------------------------


def test_circuit_breaker_continues_then_stops(registry: PluginRegistry) -> None:
    flow, worker, sink = _flow("inline", fail=True)
    handler = ErrorHandler(strategy="circuit_breaker")
    assert handler.strategy_name == "circuit_breaker"
    worker.set_error_handler(handler)
    job = flow.execute("src", entry_params={"count": 6})
    assert JobState.wait_for_completion(flow, job, timeout=WAIT)
    assert job.status == "failed"
    # Two failures are tolerated, the third opens the circuit and ends the job.
    assert [item for item, _, _ in worker.calls] == [0, 1, 2]
    assert job.get_routine_state("worker") == {"status": "failed", "error": "failure 2"}
    errors = [r.data for r in job.get_execution_history("worker") if r.event_name == "error"]
    assert [e["error"] for e in errors] == ["failure 0", "failure 1", "failure 2"]
    assert sink.calls == []


def test_circuit_breaker_on_the_entry_routine(registry: PluginRegistry) -> None:
    class Failing(Routine):
        def __init__(self) -> None:
            super().__init__()
            self.define_slot("trigger", self._on_trigger)

        def _on_trigger(self, **params: Any) -> None:
            raise ConnectionError("service down")

    flow = Flow(execution_strategy="concurrent")
    flow.add_routine(Failing(), "entry")
    handler = ErrorHandler(strategy="circuit_breaker")
    handler.failure_threshold = 2
    flow.set_error_handler(handler)  # flow level: honoured for routines without their own
    first = flow.execute("entry")
    second = flow.execute("entry")
    assert first.status == "completed"
    assert first.get_routine_state("entry") == {"status": "error_continued", "error": "service down"}
    assert second.status == "failed"
    assert second.get_routine_state("entry")["status"] == "failed"
    flow.shutdown()


def test_circuit_breaker_with_core_concurrent_executor(registry: PluginRegistry) -> None:
    flow, worker, _ = _flow("concurrent", fail=True, max_workers=3)
    handler = ErrorHandler(strategy="circuit_breaker")
    handler.failure_threshold = 100
    worker.set_error_handler(handler)
    job = flow.execute("src", entry_params={"count": 5})
    assert JobState.wait_for_completion(flow, job, timeout=WAIT)
    assert job.status == "completed"
    assert handler.circuit_failures == 5
    flow.shutdown()


# -- the remote path of the executor contract --------------------------------------------------------------


def _remote_flow(**executor_options: Any) -> Flow:
    routines = _remote_routines()
    flow = Flow(execution_strategy="remote-thread", executor_options=executor_options)
    flow.add_routine(routines.RemoteSource(), "src")
    flow.add_routine(routines.RemoteDoubler(), "double")
    flow.add_routine(routines.RemoteSink(), "sink")
    flow.connect("src", "out", "double", "input")
    flow.connect("double", "out", "sink", "input")
    return flow


def _received(tag: str) -> list[dict]:
    routines = _remote_routines()
    with routines.RECEIVED_LOCK:
        return [entry for entry in routines.RECEIVED if entry["tag"] == tag]


@pytest.mark.parametrize("pickle_calls", [False, True], ids=["in-memory", "pickled"])
def test_remote_executor_routes_captured_emits(registry: PluginRegistry, pickle_calls: bool) -> None:
    tag = f"remote-{pickle_calls}"
    flow = _remote_flow(pickle_calls=pickle_calls)
    try:
        job = flow.execute("src", entry_params={"count": 4, "tag": tag})
        assert JobState.wait_for_completion(flow, job, timeout=WAIT)
        assert job.status == "completed", job.get_execution_history()
        received = _received(tag)
        assert sorted((e["n"], e["doubled"]) for e in received) == [(0, 0), (1, 2), (2, 4), (3, 6)]
        assert {e["thread"] for e in received} == {"fake-remote-worker"}
        # The doubler's emits came back as data and were routed (and recorded) for this job.
        assert len([r for r in job.get_execution_history("double") if r.event_name == "out"]) == 4
        executor = flow._get_executor()
        assert executor.remote_threads.count("fake-remote-worker") == 8
    finally:
        flow.shutdown()


def test_remote_failure_applies_the_error_strategy(registry: PluginRegistry) -> None:
    routines = _remote_routines()
    flow = Flow(execution_strategy="remote-thread", executor_options={"pickle_calls": False})
    failer = routines.RemoteFailer()
    failer.set_error_handler(ErrorHandler(strategy="stop"))
    flow.add_routine(routines.RemoteSource(), "src")
    flow.add_routine(failer, "failer")
    flow.connect("src", "out", "failer", "input")
    try:
        job = flow.execute("src", entry_params={"count": 1, "tag": "fail"})
        assert JobState.wait_for_completion(flow, job, timeout=WAIT)
        assert job.status == "failed"
        assert job.get_routine_state("failer") == {"status": "failed", "error": "remote failure 0"}
    finally:
        flow.shutdown()


def test_remote_executor_runs_nothing_of_a_job_cancelled_in_its_trigger(registry: PluginRegistry) -> None:
    routines = _remote_routines()

    class CancelsItself(Routine):
        def __init__(self, flow: Flow) -> None:
            super().__init__()
            self.flow = flow
            self.define_slot("trigger", self._on_trigger)
            self.define_event("out", ["n", "tag"])

        def _on_trigger(self, **params: Any) -> None:
            self.flow.cancel(_current_job_state.get(None), reason="changed my mind")
            self.emit("out", n=0, tag="cancelled-remote")

    flow = Flow(execution_strategy="remote-thread", executor_options={"pickle_calls": False})
    flow.add_routine(CancelsItself(flow), "src")
    flow.add_routine(routines.RemoteDoubler(), "double")
    flow.add_routine(routines.RemoteSink(), "sink")
    flow.connect("src", "out", "double", "input")
    flow.connect("double", "out", "sink", "input")
    try:
        job = flow.execute("src")
        assert job.status == "cancelled"
        later = flow.execute("src")  # the remote worker is FIFO: this one passes after any leftover
        assert later.status == "cancelled"
        executor = flow._get_executor()
        assert executor.remote_threads == []
        assert _received("cancelled-remote") == []
    finally:
        flow.shutdown()


class TestInlineExecutorContract(ExecutorPluginContract):
    """The contract checks of ``routilux.testing`` applied to the third-party executor."""

    plugin = PLUGIN
    executor = "inline"
    ordered = True
