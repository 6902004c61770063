"""Routines for the CLI tests, referenced from test flow files as ``cli_fixtures:<Class>``.

The tests copy this file next to the flow files they write; ``routilux run``
puts a flow file's directory on ``sys.path``.
"""

from __future__ import annotations

import os
import time
from typing import Any

from routilux import Routine


class Deliver(Routine):
    """Appends each item to the file ``log``; the item ``block_on`` first waits for the file ``release``.

    Before waiting it sends the output ``waiting`` (printed by ``routilux run``),
    so a test knows the handler is in progress. The wait is bounded by ``timeout``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.set_config(log=None, block_on=None, release=None, timeout=60.0)
        self.define_slot("input", self._on_item)
        self.define_event("delivered", ["item"])

    def _on_item(self, item: Any = None, **_rest: Any) -> None:
        if item == self.get_config("block_on"):
            self.send_output("waiting", item=item)
            release = self.get_config("release")
            deadline = time.monotonic() + float(self.get_config("timeout"))
            while not os.path.exists(release):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{release} did not appear")
                time.sleep(0.005)
        with open(self.get_config("log"), "a", encoding="utf-8") as log:
            log.write(f"{item}\n")
        self.emit("delivered", item=item)


class Explode(Routine):
    """Always fails."""

    def __init__(self) -> None:
        super().__init__()
        self.define_slot("input", self._on_input)
        self.define_event("output", ["data"])

    def _on_input(self, **payload: Any) -> None:
        raise RuntimeError(f"boom on {payload.get('item')!r}")
