"""A slot's call shape is worked out once per handler function, and still follows each handler's own
signature: bound methods of many instances, wrapped handlers, handlers with ``__signature__``."""

from __future__ import annotations

import functools
import inspect
from typing import Any

import pytest

from routilux import Flow, JobState, Routine
from routilux.slot import Slot


class Doubler(Routine):
    """One slot whose handler takes one named parameter, one event."""

    def __init__(self, seen: list[Any]) -> None:
        super().__init__()
        self._seen = seen
        self.define_slot("in", handler=self.on_value)
        self.define_event("out", ["value"])

    def on_value(self, value: int) -> None:
        self._seen.append(value * 2)


def test_many_instances_inspect_their_handler_once(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []
    Doubler(seen)  # the class's handler may already be known: count from here
    calls: list[Any] = []
    real = inspect.signature

    def counting(obj: Any, *args: Any, **kwargs: Any) -> inspect.Signature:
        calls.append(obj)
        return real(obj, *args, **kwargs)

    monkeypatch.setattr(inspect, "signature", counting)
    routines = [Doubler(seen) for _ in range(50)]
    for index, routine in enumerate(routines):
        slot = routine.get_slot("in")
        assert slot is not None
        slot.receive({"value": index})
    assert calls == []
    assert seen == [index * 2 for index in range(50)]


def _traced(function: Any) -> Any:
    """A decorator as most are written: one wrapper code object for every function it wraps."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    return wrapper


def test_wrapped_handlers_dispatch_by_the_function_they_wrap() -> None:
    calls: list[Any] = []

    @_traced
    def single(value: Any) -> None:
        calls.append(("single", value))

    @_traced
    def pair(a: Any, b: Any) -> None:
        calls.append(("pair", a, b))

    @_traced
    def whole(data: Any) -> None:
        calls.append(("whole", data))

    Slot("s", None, single).receive({"value": 1, "other": 0})
    Slot("p", None, pair).receive({"a": 2, "b": 3, "other": 0})
    Slot("w", None, whole).receive({"x": 4})
    assert calls == [("single", 1), ("pair", 2, 3), ("whole", {"x": 4})]


def test_a_handlers_own_signature_attribute_is_followed() -> None:
    calls: list[Any] = []

    def make(name: str) -> Any:
        def handler(*args: Any, **kwargs: Any) -> None:
            calls.append((name, args, kwargs))

        return handler

    plain = make("plain")  # **kwargs: the data unpacked
    pinned = make("pinned")  # same code, but it says it takes one parameter, ``value``
    pinned.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("value", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    )
    Slot("a", None, plain).receive({"value": 1})
    Slot("b", None, pinned).receive({"value": 2})
    Slot("c", None, plain).receive({"value": 3})
    assert calls == [("plain", (), {"value": 1}), ("pinned", (2,), {}), ("plain", (), {"value": 3})]


def test_a_handler_given_new_code_is_inspected_again() -> None:
    calls: list[Any] = []

    def handler(value: Any) -> None:
        calls.append(("single", value))

    Slot("before", None, handler).receive({"value": 1})

    def replacement(**kwargs: Any) -> None:
        calls.append(("kwargs", kwargs))

    handler.__code__ = replacement.__code__
    Slot("after", None, handler).receive({"value": 2})
    assert calls == [("single", 1), ("kwargs", {"value": 2})]


def test_flows_of_many_instances_run_each_handler_with_its_data() -> None:
    seen: list[Any] = []
    flow = Flow(flow_id="dispatch-shapes", execution_strategy="sequential")

    class Source(Routine):
        def __init__(self) -> None:
            super().__init__()
            self.define_slot("trigger", handler=self.on_trigger)
            self.define_event("out", ["value"])

        def on_trigger(self, count: int = 1) -> None:
            for value in range(count):
                self.emit("out", value=value)

    flow.add_routine(Source(), "src")
    for index in range(20):
        flow.add_routine(Doubler(seen), f"d{index}")
        flow.connect("src", "out", f"d{index}", "in")
    try:
        job = flow.execute("src", entry_params={"count": 3})
        assert JobState.wait_for_completion(flow, job, timeout=30)
        assert job.status == "completed"
    finally:
        flow.shutdown()
    assert seen == [value * 2 for value in range(3) for _ in range(20)]
