"""Flow control routines beyond the reference: DataAggregator, DataBatcher, DataFilter, RateLimiter.

Routines that buffer (aggregator, batcher) keep one buffer per job, so jobs that
run through the same flow at the same time never mix their items. All four are
safe to use in concurrent flows, where their handlers run on several threads.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Any, Callable, ClassVar, Deque, Dict, List, Mapping, Optional

from routilux.routine import Routine
from routilux_std_routines._support import (
    JobBuffers,
    current_job_key,
    replace_config_entry,
    split_config_entry,
)
from routilux_std_routines.conditions import (
    check_condition,
    deserialize_condition,
    evaluate_condition,
    serialize_condition,
)

logger = logging.getLogger(__name__)


def _positive_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what} must be a positive integer, got {value!r}")
    return value


def _merge_dicts(items: List[Any]) -> Dict[str, Any]:
    merged: Dict[str, Any] = {}
    for item in items:
        if isinstance(item, Mapping):
            merged.update(item)
    return merged


class _BufferingRoutine(Routine):
    """Collects the input values of one job and emits them together as ``items``."""

    _OUTPUT_PARAMS = ["items", "count", "merged"]

    def __init__(self) -> None:
        super().__init__()
        self._buffers = JobBuffers()
        self.input_slot = self.define_slot("input", self._on_input)
        self.output_event = self.define_event("output", list(self._OUTPUT_PARAMS))

    def _group_size(self) -> int:
        raise NotImplementedError

    def _on_input(self, data: Any = None, **kwargs: Any) -> None:
        item = self._extract_input_data(data, **kwargs)
        full = self._buffers.add(current_job_key(self), item, self._group_size)
        if full is not None:
            self._emit_items(full)

    def _emit_items(self, items: List[Any]) -> None:
        self.emit("output", items=items, count=len(items), merged=_merge_dicts(items))

    def pending_count(self) -> int:
        """How many items wait in the buffer of the current job (or of direct calls)."""
        return self._buffers.pending(current_job_key(self))


class DataAggregator(_BufferingRoutine):
    """Waits for N inputs, then emits them together (fan-in).

    Slot ``input``; event ``output`` with ``items`` (values in arrival order),
    ``count`` and ``merged`` (the dict items merged, later keys winning).
    Config: ``count`` (N; None means one input per event connected to
    ``input``, i.e. one per upstream source).
    """

    #: The config keys it takes; flow-file validation refuses any other.
    config_keys: ClassVar[frozenset[str]] = frozenset({"count"})

    def __init__(self) -> None:
        super().__init__()
        self.set_config(count=None)

    def _group_size(self) -> int:
        count = self.get_config("count")
        if count is None:
            return max(1, len(self.input_slot.connected_events))
        return _positive_int(count, "DataAggregator config 'count'")


class DataBatcher(_BufferingRoutine):
    """Groups inputs into batches of ``batch_size``; ``flush`` emits a partial batch.

    Slots ``input`` and ``flush``; event ``output`` with ``items``, ``count``
    and ``merged`` (as DataAggregator). Config: ``batch_size`` (10). A flush
    with nothing buffered emits nothing.
    """

    #: The config keys it takes; flow-file validation refuses any other.
    config_keys: ClassVar[frozenset[str]] = frozenset({"batch_size"})

    def __init__(self) -> None:
        super().__init__()
        self.set_config(batch_size=10)
        self.flush_slot = self.define_slot("flush", self._on_flush)

    def _group_size(self) -> int:
        return _positive_int(self.get_config("batch_size", 10), "DataBatcher config 'batch_size'")

    def _on_flush(self, **kwargs: Any) -> None:
        items = self._buffers.drain(current_job_key(self))
        if items:
            self._emit_items(items)


class DataFilter(Routine):
    """Passes on the payloads whose data satisfies a predicate.

    Slot ``input``; events ``output`` (the payload, unchanged) when the
    predicate holds and ``rejected`` (the payload, plus ``filter_error`` when
    the predicate raised) when it does not. Config: ``predicate``, an
    expression string over ``data``/``config``, a dict of expected values or a
    callable, exactly as a ConditionalRouter condition. It serializes like one.
    """

    #: The config keys it takes; flow-file validation refuses any other.
    config_keys: ClassVar[frozenset[str]] = frozenset({"predicate"})

    def __init__(self) -> None:
        super().__init__()
        self.set_config(predicate=None)
        self.input_slot = self.define_slot("input", self._on_input)
        self.output_event = self.define_event("output", ["data"])
        self.rejected_event = self.define_event("rejected", ["data", "filter_error"])

    def set_config(self, **kwargs: Any) -> None:
        """As :meth:`Routine.set_config`; a ``predicate`` is checked first (``ValueError`` if invalid)."""
        if kwargs.get("predicate") is not None:
            check_condition(kwargs["predicate"], "DataFilter predicate")
        super().set_config(**kwargs)

    def _on_input(self, **payload: Any) -> None:
        predicate = self._config.get("predicate")
        if predicate is None:
            raise ValueError("DataFilter has no predicate: set_config(predicate=...) first")
        value = self._extract_input_data(**payload)
        try:
            passed = evaluate_condition(predicate, value, self._config)
        except Exception as exc:
            logger.debug("%r rejected an item: predicate raised %r", self, exc)
            self.emit("rejected", **payload, filter_error=f"{type(exc).__name__}: {exc}")
            return
        self.emit("output" if passed else "rejected", **payload)

    def serialize(self) -> Dict[str, Any]:
        """The base routine dict with the predicate in serializable form."""
        predicate = serialize_condition(self._config.get("predicate"), "DataFilter predicate", owner=self)
        return replace_config_entry(super().serialize(), "predicate", predicate)

    def deserialize(self, data: Mapping[str, Any], registry: Optional[Any] = None) -> Any:
        """Restore the base fields, then the predicate (never with ``eval``)."""
        rest, has_predicate, raw = split_config_entry(data, "predicate")
        result = super().deserialize(rest, registry)
        if has_predicate:
            self._config["predicate"] = deserialize_condition(raw, "DataFilter predicate", owner=self)
        return result


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
        self._admitted: Deque[float] = collections.deque()
        self.input_slot = self.define_slot("input", self._on_input)
        self.output_event = self.define_event("output", ["data"])
        self.dropped_event = self.define_event("dropped", ["data"])

    def _settings(self) -> tuple:
        limit = self.get_config("max_per_second", 10)
        if isinstance(limit, bool) or not isinstance(limit, (int, float)) or limit <= 0:
            raise ValueError(f"RateLimiter config 'max_per_second' must be a positive number, got {limit!r}")
        mode = self.get_config("mode", "delay")
        if mode not in self.MODES:
            raise ValueError(
                f"RateLimiter config 'mode' must be one of {', '.join(self.MODES)}, got {mode!r}"
            )
        return limit, mode

    def reserve(self) -> Optional[float]:
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
