"""Routines used by the example flow files (referenced as ``example_routines:<Class>``).

``routilux run`` puts the flow file's directory on ``sys.path``, so these
classes are found without installing anything. They simulate services: no
network, deterministic results.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Dict

from routilux import Routine


class FlakyPayment(Routine):
    """Charges an order; the first ``failures`` attempts for each order raise ``ConnectionError``.

    Slot ``input`` (``order``: a dict with ``id`` and ``amount``); event
    ``charged`` with ``data`` (the order plus ``attempts``). Pair it with a
    ``retry`` error handler.
    """

    def __init__(self) -> None:
        super().__init__()
        self.set_config(failures=1)
        self._attempts: Dict[Any, int] = {}
        self._lock = threading.Lock()
        self.define_slot("input", self._on_order)
        self.define_event("charged", ["data"])

    def _on_order(self, order: Any = None, **_rest: Any) -> None:
        if not isinstance(order, dict) or "id" not in order:
            raise ValueError(f"not an order: {order!r}")
        with self._lock:
            attempt = self._attempts.get(order["id"], 0) + 1
            self._attempts[order["id"]] = attempt
        if attempt <= int(self.get_config("failures", 1)):
            raise ConnectionError(f"payment service unavailable for order {order['id']} (attempt {attempt})")
        self.emit("charged", data={**order, "attempts": attempt})


class SimulatedFetch(Routine):
    """Fetches a URL, simulated: waits ``latency`` seconds (as network I/O would), then emits.

    Slot ``input`` (``url``); event ``fetched`` with ``url``, ``size`` (a
    deterministic stand-in for the body length) and ``worker`` (the thread
    that did it, to show the fan-out).
    """

    def __init__(self) -> None:
        super().__init__()
        self.set_config(latency=0.2)
        self.define_slot("input", self._on_url)
        self.define_event("fetched", ["url", "size", "worker"])

    def _on_url(self, url: str = "", **_rest: Any) -> None:
        time.sleep(float(self.get_config("latency", 0.2)))
        self.emit("fetched", url=url, size=len(url) * 100, worker=threading.current_thread().name)
