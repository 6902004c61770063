"""Entry routines and flow wiring several engine test modules share.

Test modules import this after the ``fixtures_on_path`` fixture (conftest.py) has put the tests
directory on ``sys.path``, that is inside a test or a helper it calls, never at module level.
"""

from __future__ import annotations

from typing import Any

from routilux import Flow, Routine


class Source(Routine):
    """Entry routine: its ``trigger(count)`` emits ``out`` with ``field=0..count-1``."""

    def __init__(self, field: str = "item") -> None:
        super().__init__()
        self.field = field
        self.define_slot("trigger", self._on_trigger)
        self.define_event("out", [field])

    def _on_trigger(self, count: int) -> None:
        for number in range(count):
            self.emit("out", **{self.field: number})


class ValueSource(Routine):
    """Entry routine: emits ``out(value=...)`` once per item of the entry param ``values``, or
    once with the entry param ``value``."""

    def __init__(self) -> None:
        super().__init__()
        self.define_slot("trigger", self._on_trigger)
        self.define_event("out", ["value"])

    def _on_trigger(self, **params: Any) -> None:
        for value in params.get("values", [params.get("value")]):
            self.emit("out", value=value)


def linear_flow(source: Routine, *stages: tuple[str, Routine, str], **flow_kwargs: Any) -> Flow:
    """A ``Flow(**flow_kwargs)`` with ``source`` as ``"src"``, then every ``(routine id, routine,
    slot)`` of ``stages`` in order, its slot fed by the ``out`` event of the routine before it."""
    flow = Flow(**flow_kwargs)
    flow.add_routine(source, "src")
    previous = "src"
    for routine_id, routine, slot in stages:
        flow.add_routine(routine, routine_id)
        flow.connect(previous, "out", routine_id, slot)
        previous = routine_id
    return flow
