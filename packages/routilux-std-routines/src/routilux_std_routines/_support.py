"""Helpers shared by several routines of this package (not part of its API)."""

from __future__ import annotations

import threading
from typing import Any, Callable, Dict, Hashable, List, Mapping, Optional, Sequence, Tuple

from routilux.routine import Routine

# Events created while routing may be defined from several worker threads at once.
_define_lock = threading.Lock()


def ensure_event(routine: Routine, name: str, output_params: Sequence[str]) -> None:
    """Define the event ``name`` on ``routine`` unless it exists (thread-safe)."""
    if routine.get_event(name) is not None:
        return
    with _define_lock:
        if routine.get_event(name) is None:
            routine.define_event(name, list(output_params))


def replace_config_entry(data: Mapping[str, Any], key: str, value: Any) -> Dict[str, Any]:
    """A copy of a serialized routine dict whose ``_config[key]`` is ``value``."""
    return {**data, "_config": {**(data.get("_config") or {}), key: value}}


def split_config_entry(data: Mapping[str, Any], key: str) -> Tuple[Dict[str, Any], bool, Any]:
    """``(data without _config[key], whether it was there, its value)``; ``data`` is not changed."""
    config = data.get("_config")
    if not isinstance(config, Mapping) or key not in config:
        return dict(data), False, None
    rest = {k: v for k, v in config.items() if k != key}
    return {**data, "_config": rest}, True, config[key]


def current_job_key(routine: Routine) -> Optional[Hashable]:
    """The id of the job the current activation belongs to, or None outside a flow.

    Routines that buffer across activations keep one buffer per job, so two
    jobs running through the same flow at once never mix their items.
    """
    context = routine.get_execution_context()
    return None if context is None else context.job_state.job_id


class JobBuffers:
    """Per-job item buffers that hand out a full batch exactly once (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buffers: Dict[Optional[Hashable], List[Any]] = {}

    def add(self, key: Optional[Hashable], item: Any, size: Callable[[], int]) -> Optional[List[Any]]:
        """Append ``item``; return and clear the buffer once it holds ``size()`` items."""
        with self._lock:
            buffer = self._buffers.setdefault(key, [])
            buffer.append(item)
            if len(buffer) < size():
                return None
            del self._buffers[key]
            return buffer

    def drain(self, key: Optional[Hashable]) -> List[Any]:
        """Remove and return whatever is buffered for ``key``."""
        with self._lock:
            return self._buffers.pop(key, [])

    def pending(self, key: Optional[Hashable]) -> int:
        """How many items are buffered for ``key``."""
        with self._lock:
            return len(self._buffers.get(key, ()))
