"""Entry routines for the flow-file tests, referenced as ``entry_fixtures:<Class>``.

The tests copy this file next to the flow files they write (a flow file's
directory is put on ``sys.path``), as ``cli_fixtures.py`` is.
"""

from __future__ import annotations

from typing import Any

from routilux import Routine


class Counter(Routine):
    """An entry routine whose ``trigger`` takes named parameters: ``value`` and ``step``."""

    def __init__(self) -> None:
        super().__init__()
        self.define_slot("trigger", self.go)
        self.define_event("output", ["value"])

    def go(self, value: int = 0, step: int = 1) -> None:
        self.send_output("count", value=value + step)
        self.emit("output", value=value + step)


class Anything(Routine):
    """An entry routine whose ``trigger`` takes any keyword."""

    def __init__(self) -> None:
        super().__init__()
        self.define_slot("trigger", self.go)
        self.define_event("output", [])

    def go(self, **params: Any) -> None:
        self.emit("output", **params)
