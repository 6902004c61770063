"""Shared helpers: capture what a routine emits, and run routines inside real flows.

Tests run with ``--import-mode=importlib`` (see tox.ini), so test modules cannot
import a helper module; everything is offered through the fixtures below.
"""

from __future__ import annotations

import threading
import types
from importlib.metadata import PackageNotFoundError, distribution
from typing import Any

import pytest

from routilux import Flow, JobState, Routine, register_serializable
from routilux.slot import Slot


class Capture:
    """Collects the payloads delivered to a slot connected to an event (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.items: list[dict[str, Any]] = []
        self.slot = Slot("capture", None, self._store)

    def _store(self, **payload: Any) -> None:
        payload.pop("job_state", None)
        with self._lock:
            self.items.append(payload)

    def attach(self, routine: Any, event: str = "output") -> Capture:
        routine.get_event(event).connect(self.slot)
        return self

    @property
    def last(self) -> dict[str, Any]:
        assert self.items, "nothing was emitted"
        return self.items[-1]


@register_serializable
class StdTestSource(Routine):
    """Entry routine: emits ``out`` once per payload in ``entry_params["payloads"]``, then ``done``."""

    def __init__(self) -> None:
        super().__init__()
        self.define_slot("trigger", self._on_trigger)
        self.define_event("out")
        self.define_event("done")

    def _on_trigger(self, payloads: Any = None, **kwargs: Any) -> None:
        for payload in payloads or ():
            self.emit("out", **payload)
        self.emit("done")


@register_serializable
class StdTestSink(Routine):
    """Collects every payload delivered to its ``input`` slot (thread-safe)."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self.received: list[dict[str, Any]] = []
        self.define_slot("input", self._on_input)

    def _on_input(self, **payload: Any) -> None:
        with self._lock:
            self.received.append(payload)


def build_flow(
    strategy: str,
    routine: Routine,
    slot: str = "input",
    events: tuple = ("output",),
    extra_sources: int = 0,
) -> tuple:
    """``src -> routine.slot`` and one sink per event; returns ``(flow, {event: sink})``."""
    flow = Flow(execution_strategy=strategy, max_workers=4)
    flow.add_routine(StdTestSource(), "src")
    flow.add_routine(routine, "subject")
    flow.connect("src", "out", "subject", slot)
    for index in range(extra_sources):
        flow.add_routine(StdTestSource(), f"src{index + 2}")
        flow.connect(f"src{index + 2}", "out", "subject", slot)
    sinks = {}
    for event in events:
        sink = StdTestSink()
        flow.add_routine(sink, f"sink_{event}")
        flow.connect("subject", event, f"sink_{event}", "input")
        sinks[event] = sink
    return flow, sinks


def run(flow: Flow, payloads: list[dict[str, Any]], entry: str = "src") -> JobState:
    """Execute one job feeding ``payloads`` and wait for it; asserts it completed."""
    job = flow.execute(entry, entry_params={"payloads": payloads})
    assert JobState.wait_for_completion(flow, job, timeout=10), f"job did not finish: {job.status}"
    assert job.status == "completed", job.status
    return job


def received(sink: StdTestSink, key: str | None = None) -> list[Any]:
    return [p[key] if key else p for p in sink.received]


class Captures:
    """What the ``capture`` fixture returns."""

    def __call__(self, routine: Any, event: str = "output") -> Capture:
        """Connect a new Capture to ``routine``'s ``event``."""
        return Capture().attach(routine, event)

    def deliver(
        self, routine: Any, payload: dict[str, Any], slot: str = "input", **config: Any
    ) -> dict[str, Any]:
        """Configure ``routine`` with ``config``, deliver ``payload`` to ``slot`` directly (``receive``),
        and return the last payload it emitted on ``output``."""
        routine.set_config(**config)
        out = self(routine)
        routine.get_slot(slot).receive(payload)
        return out.last


@pytest.fixture
def capture() -> Captures:
    """``capture(routine, event="output")`` connects a new Capture to that event;
    ``capture.deliver(routine, payload, slot="input", **config)`` runs one direct delivery."""
    return Captures()


def std_routines_installed() -> bool:
    """Whether the routilux-std-routines distribution is installed (its entry point is declared)."""
    try:
        distribution("routilux-std-routines")
    except PackageNotFoundError:
        return False
    return True


@pytest.fixture(scope="session")
def installed() -> bool:
    """``std_routines_installed()``, once per session."""
    return std_routines_installed()


@pytest.fixture
def needs_installed(installed: bool) -> None:
    """Skips the test unless the distribution is installed (entry-point discovery needs it)."""
    if not installed:
        pytest.skip("entry-point discovery needs the routilux-std-routines distribution installed")


@pytest.fixture
def kit():
    """Flow helpers: ``build_flow``, ``run``, ``received`` and the ``Source``/``Sink`` routines."""
    return types.SimpleNamespace(
        build_flow=build_flow, run=run, received=received, Source=StdTestSource, Sink=StdTestSink
    )
