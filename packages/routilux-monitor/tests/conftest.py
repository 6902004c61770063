"""Shared fixtures of routilux-monitor's tests: real durable jobs in a real SQLite store, and the app.

Tests run with ``--import-mode=importlib`` and this directory has no
``__init__.py``, so what the tests share is offered here as fixtures. The
jobs are real: a :class:`routilux.Flow` with the store runs them (with the
``concurrent`` executor, so a test thread is never the one running a handler)
and journals them as any durable job; the app reads that same file through a
store object of its own, as ``routilux serve`` in another process would.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from routilux import Flow, JobState, Routine, open_store
from routilux_monitor import create_app

TOKEN = "test-token-1234"
XSS = "<img src=x onerror=alert(1)>"
DEADLINE_S = 20.0


class Source(Routine):
    """Emits each of ``items`` as ``out``."""

    def __init__(self) -> None:
        super().__init__()
        self.define_slot("trigger", self.on_trigger)
        self.define_event("out", ["item"])

    def on_trigger(self, items: list[Any]) -> None:
        for item in items:
            self.emit("out", item=item)


class Work(Routine):
    """Records each item in the job (shared data, routine state, an output) and passes it on.

    An item equal to ``fail_on`` raises; one equal to ``hold_on`` waits for ``gate`` first.
    """

    def __init__(self, fail_on: Any = None, hold_on: Any = None, gate: threading.Event | None = None,
                 held: threading.Event | None = None) -> None:
        super().__init__()
        self.fail_on, self.hold_on, self.gate, self.held = fail_on, hold_on, gate, held
        self.define_slot("input", self.on_item)
        self.define_event("out", ["item"])

    def on_item(self, item: Any) -> None:
        if self.gate is not None and item == self.hold_on:
            assert self.held is not None
            self.held.set()
            assert self.gate.wait(DEADLINE_S), "the test never opened the gate"
        job = self.get_execution_context().job_state
        job.update_shared_data("last", item)
        job.update_routine_state("work", {"last": item})
        self.send_output("item", item=item)
        if item == self.fail_on:
            raise RuntimeError(f"failed on {item}")
        self.emit("out", item=item)


class Sink(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.define_slot("input", self.on_item)

    def on_item(self, item: Any) -> None:
        pass


def build_flow(store: str, flow_id: str = "pipeline", **work: Any) -> Flow:
    """``source -> work -> sink``, journaled into ``store``."""
    flow = Flow(flow_id=flow_id, store=store, execution_strategy="concurrent", max_workers=2)
    flow.add_routine(Source(), "source")
    flow.add_routine(Work(**work), "work")
    flow.add_routine(Sink(), "sink")
    flow.connect("source", "out", "work", "input")
    flow.connect("work", "out", "sink", "input")
    return flow


def wait_for(what: str, condition: Callable[[], bool]) -> None:
    """Poll ``condition`` until true; fail naming ``what`` after :data:`DEADLINE_S`."""
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


@pytest.fixture
def wait() -> Callable[[str, Callable[[], bool]], None]:
    """:func:`wait_for`, for the tests (a conftest is not importable under importlib mode)."""
    return wait_for


@pytest.fixture
def store_path(tmp_path: Path) -> str:
    """The store file the jobs and the monitor share."""
    return str(tmp_path / "jobs.db")


@pytest.fixture
def flows() -> Iterator[list[Flow]]:
    """Flows a test built: shut down at its end."""
    built: list[Flow] = []
    yield built
    for flow in built:
        flow.shutdown()


@pytest.fixture
def run_job(store_path: str, flows: list[Flow]) -> Callable[..., str]:
    """``run_job(items, flow_id=..., fail_on=...)``: run a job to its end; returns its id."""

    def run(items: list[Any], flow_id: str = "pipeline", **work: Any) -> str:
        flow = build_flow(store_path, flow_id, **work)
        flows.append(flow)
        job = flow.execute("source", {"items": items})
        assert JobState.wait_for_completion(flow, job, timeout=DEADLINE_S)
        flow.store.flush()
        return job.job_id

    return run


class Held:
    """A job whose ``work`` waits at its gate on one item: running until :meth:`release`."""

    def __init__(self, flow: Flow, job: JobState, gate: threading.Event) -> None:
        self.flow, self.job, self.gate = flow, job, gate
        self.job_id = job.job_id

    def release(self) -> None:
        self.gate.set()


@pytest.fixture
def held_job(store_path: str, flows: list[Flow]) -> Callable[..., Held]:
    """``held_job(items, hold_on)``: start a job and return once ``work`` waits at ``hold_on``."""

    def start(items: list[Any], hold_on: Any) -> Held:
        gate, held = threading.Event(), threading.Event()
        flow = build_flow(store_path, hold_on=hold_on, gate=gate, held=held)
        flows.append(flow)
        job = flow.execute("source", {"items": items})
        assert held.wait(DEADLINE_S), "the job never reached its gate"
        flow.store.flush()
        holding = Held(flow, job, gate)
        return holding

    return start


@pytest.fixture
def monitor_store(store_path: str) -> Iterator[Any]:
    """The monitor's own store object on the shared file."""
    store = open_store(store_path)
    yield store
    store.close()


@pytest.fixture
def client(monitor_store: Any) -> Iterator[TestClient]:
    """The loopback app (reads need no token) over the shared store."""
    app = create_app(monitor_store, TOKEN, poll_s=0.02)
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        yield test_client


@pytest.fixture
def token() -> str:
    """The token the test apps are built with."""
    return TOKEN


@pytest.fixture
def xss() -> str:
    """Markup that would run a script if a page wrote job data as HTML."""
    return XSS


@pytest.fixture
def app_for(monitor_store: Any) -> Callable[..., Any]:
    """``app_for(**options)``: another app over the shared store (``create_app``'s options)."""
    return lambda **options: create_app(monitor_store, TOKEN, poll_s=0.02, **options)


@pytest.fixture
def auth() -> dict[str, str]:
    """The headers that present the token."""
    return {"Authorization": f"Bearer {TOKEN}"}
