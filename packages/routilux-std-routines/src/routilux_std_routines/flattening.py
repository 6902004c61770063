"""Flattening nested data into one level of joined keys: DataFlattener (spec §16.5)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from routilux.routine import Routine

_CIRCULAR = "[Circular Reference]"


class DataFlattener(Routine):
    """Flattens nested dicts and lists into one level of joined keys.

    Slot ``input`` (``data``); event ``output`` with ``flattened_data``,
    ``original_type`` and ``depth``. Config: ``separator`` (``"."``),
    ``preserve_lists`` (True: list items get their index as key),
    ``max_depth`` (100: deeper values become strings).
    """

    #: The config keys it takes; flow-file validation refuses any other.
    config_keys: ClassVar[frozenset[str]] = frozenset({"separator", "preserve_lists", "max_depth"})

    def __init__(self) -> None:
        super().__init__()
        self.set_config(separator=".", preserve_lists=True, max_depth=100)
        self.input_slot = self.define_slot("input", self._on_input)
        self.output_event = self.define_event("output", ["flattened_data", "original_type", "depth"])

    def _on_input(self, data: Any = None, **kwargs: Any) -> None:
        flat, kind, depth = self.flatten(self._extract_input_data(data, **kwargs))
        self.emit("output", flattened_data=flat, original_type=kind, depth=depth)

    def flatten(self, value: Any) -> tuple[dict[str, Any], str, int]:
        """``(flat dict, type label, deepest level reached)`` for ``value``."""
        flat: dict[str, Any] = {}
        depth = self._flatten(value, "", 0, flat, set())
        kind = (
            "dict" if isinstance(value, dict) else "list" if isinstance(value, list) else type(value).__name__
        )
        return flat, kind, depth

    def _flatten(self, value: Any, prefix: str, depth: int, out: dict[str, Any], path: set[int]) -> int:
        key = prefix or "value"
        if depth >= self.get_config("max_depth", 100):
            out[key] = str(value)
            return depth
        if isinstance(value, (dict, list)):
            if id(value) in path:
                out[key] = _CIRCULAR
                return depth
            path.add(id(value))
            try:
                return self._flatten_container(value, prefix, depth, out, path)
            finally:
                path.discard(id(value))
        serialize = None if isinstance(value, type) else getattr(value, "serialize", None)
        if callable(serialize):
            return self._flatten(serialize(), prefix, depth + 1, out, path)
        out[key] = value
        return depth

    def _flatten_container(
        self, value: Any, prefix: str, depth: int, out: dict[str, Any], path: set[int]
    ) -> int:
        separator = self.get_config("separator", ".")
        items: Iterable[tuple[str | None, Any]]
        if isinstance(value, dict):
            items = ((str(k), v) for k, v in value.items())
        elif self.get_config("preserve_lists", True):
            items = ((str(i), v) for i, v in enumerate(value))
        else:
            items = ((None, v) for v in value)
        deepest = depth
        for name, item in items:
            child = prefix if name is None else (f"{prefix}{separator}{name}" if prefix else name)
            deepest = max(deepest, self._flatten(item, child, depth + 1, out, path))
        return deepest
