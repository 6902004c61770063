"""Throttling: RateLimiter, which lets at most N payloads a second through.

Beyond the 0.10 reference; safe in concurrent flows, where its handler runs on
several threads.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable
from typing import Any, ClassVar

from routilux.routine import Routine


class RateLimiter(Routine):
    """Lets at most ``max_per_second`` payloads through in any one-second window.

    Slot ``input``; events ``output`` (the payload, unchanged) and ``dropped``
    (the payload, ``drop`` mode only). Config: ``max_per_second`` (10),
    ``mode``: ``"delay"`` holds an activation (sleeping on its worker thread)
    until it may pass, ``"drop"`` emits it on ``dropped`` instead.

    ``clock`` (seconds, monotonic) and ``sleep`` can be injected, e.g. for
    tests. Admission is decided under a lock; sleeping happens outside it, so
    concurrent activations queue up in arrival order without blocking each
    other's bookkeeping.
    """

    #: The config keys it takes; flow-file validation refuses any other.
    config_keys: ClassVar[frozenset[str]] = frozenset({"max_per_second", "mode"})

    MODES = ("delay", "drop")
    WINDOW = 1.0

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Any] = time.sleep,
    ) -> None:
        super().__init__()
        self.set_config(max_per_second=10, mode="delay")
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        # Admission times (past and reserved future ones) within the last window, ascending.
        self._admitted: collections.deque[float] = collections.deque()
        self.input_slot = self.define_slot("input", self._on_input)
        self.output_event = self.define_event("output", ["data"])
        self.dropped_event = self.define_event("dropped", ["data"])

    def _settings(self) -> tuple[float, str]:
        limit = self.get_config("max_per_second", 10)
        if isinstance(limit, bool) or not isinstance(limit, (int, float)) or limit <= 0:
            raise ValueError(f"RateLimiter config 'max_per_second' must be a positive number, got {limit!r}")
        mode = self.get_config("mode", "delay")
        if mode not in self.MODES:
            raise ValueError(
                f"RateLimiter config 'mode' must be one of {', '.join(self.MODES)}, got {mode!r}"
            )
        return limit, mode

    def reserve(self) -> float | None:
        """Claim the earliest admission time from now on; None if dropped (``drop`` mode only).

        With a fractional limit (e.g. 0.5 per second) the window stretches so
        that the average rate still holds (one admission per two seconds).
        """
        limit, mode = self._settings()
        capacity = max(1, int(limit))
        window = self.WINDOW * capacity / limit
        with self._lock:
            now = self._clock()
            admitted = self._admitted
            while admitted and admitted[0] <= now - window:
                admitted.popleft()
            at = now if len(admitted) < capacity else max(now, admitted[-capacity] + window)
            if at > now and mode == "drop":
                return None
            admitted.append(at)
            return at

    def _on_input(self, **payload: Any) -> None:
        at = self.reserve()
        if at is None:
            self.emit("dropped", **payload)
            return
        wait = at - self._clock()
        if wait > 0:
            self._sleep(wait)
        self.emit("output", **payload)
