"""A routine plugin for the routine contract: real routilux.Routine subclasses."""

from __future__ import annotations

from typing import Any

from routilux import Routine
from routilux.plugins import RoutineSpec, hookimpl


class Doubler(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.define_slot("input", self._double)
        self.define_event("output", ["value"])

    def _double(self, value: Any) -> None:
        self.emit("output", value=value * 2)


@hookimpl
def routilux_register_routines() -> list[RoutineSpec]:
    return [RoutineSpec(name="Doubler", cls=Doubler, category="fixtures")]
