"""Routines that collect several inputs and emit them together: DataAggregator, DataBatcher.

Beyond the 0.10 reference. They keep one buffer per job, so jobs that run
through the same flow at the same time never mix their items, and are safe in
concurrent flows, where their handlers run on several threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Mapping
from typing import Any, ClassVar

from routilux.routine import Routine


def _current_job_key(routine: Routine) -> Hashable | None:
    """The id of the job the current activation belongs to, or None outside a flow."""
    context = routine.get_execution_context()
    return None if context is None else context.job_state.job_id


class _JobBuffers:
    """Per-job item buffers that hand out a full batch exactly once (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buffers: dict[Hashable | None, list[Any]] = {}

    def add(self, key: Hashable | None, item: Any, size: Callable[[], int]) -> list[Any] | None:
        """Append ``item``; return and clear the buffer once it holds ``size()`` items."""
        with self._lock:
            buffer = self._buffers.setdefault(key, [])
            buffer.append(item)
            if len(buffer) < size():
                return None
            del self._buffers[key]
            return buffer

    def drain(self, key: Hashable | None) -> list[Any]:
        """Remove and return whatever is buffered for ``key``."""
        with self._lock:
            return self._buffers.pop(key, [])

    def pending(self, key: Hashable | None) -> int:
        """How many items are buffered for ``key``."""
        with self._lock:
            return len(self._buffers.get(key, ()))


def _positive_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what} must be a positive integer, got {value!r}")
    return value


def _merge_dicts(items: list[Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for item in items:
        if isinstance(item, Mapping):
            merged.update(item)
    return merged


class _BufferingRoutine(Routine):
    """Collects the input values of one job and emits them together as ``items``."""

    _OUTPUT_PARAMS = ["items", "count", "merged"]

    def __init__(self) -> None:
        super().__init__()
        self._buffers = _JobBuffers()
        self.input_slot = self.define_slot("input", self._on_input)
        self.output_event = self.define_event("output", list(self._OUTPUT_PARAMS))

    def _group_size(self) -> int:
        raise NotImplementedError

    def _on_input(self, data: Any = None, **kwargs: Any) -> None:
        item = self._extract_input_data(data, **kwargs)
        full = self._buffers.add(_current_job_key(self), item, self._group_size)
        if full is not None:
            self._emit_items(full)

    def _emit_items(self, items: list[Any]) -> None:
        self.emit("output", items=items, count=len(items), merged=_merge_dicts(items))

    def pending_count(self) -> int:
        """How many items wait in the buffer of the current job (or of direct calls)."""
        return self._buffers.pending(_current_job_key(self))


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
        items = self._buffers.drain(_current_job_key(self))
        if items:
            self._emit_items(items)
