"""Utility routines: TimeProvider and DataFlattener (spec §16.4, §16.5)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, ClassVar, Dict, Iterable, Optional, Tuple

from routilux.routine import Routine

_CHINESE_WEEKDAYS = "一二三四五六日"
_CIRCULAR = "[Circular Reference]"


class TimeProvider(Routine):
    """Emits the current time in several formats when requested.

    Slot ``request`` (attribute ``trigger_slot``), optional ``format`` in the
    payload; event ``output`` with ``time_string``, ``timestamp``, ``datetime``
    and ``formatted``. Config: ``format`` (``iso``, ``timestamp``,
    ``formatted`` or ``custom``), ``custom_format``, ``include_weekday``,
    ``locale`` (``zh_CN`` gives a Chinese date for ``formatted``).
    """

    #: The config keys it takes; flow-file validation refuses any other.
    config_keys: ClassVar[frozenset[str]] = frozenset({
        "format", "custom_format", "include_weekday", "locale"
    })

    def __init__(self) -> None:
        super().__init__()
        self.set_config(format="iso", custom_format="%Y-%m-%d %H:%M:%S", include_weekday=True, locale="zh_CN")
        self.trigger_slot = self.define_slot("request", self._on_request)
        self.output_event = self.define_event("output", ["time_string", "timestamp", "datetime", "formatted"])

    def _on_request(self, data: Any = None, **kwargs: Any) -> None:
        if isinstance(data, dict) and "format" in data:
            fmt = data["format"]
        else:
            fmt = kwargs.get("format", self.get_config("format", "iso"))
        timestamp = time.time()
        now = datetime.fromtimestamp(timestamp)
        custom_format = self.get_config("custom_format", "%Y-%m-%d %H:%M:%S")
        self.emit(
            "output",
            time_string=self._time_string(now, fmt, custom_format),
            timestamp=timestamp,
            datetime=now.isoformat(),
            formatted=now.strftime(custom_format),
        )

    def _time_string(self, now: datetime, fmt: Any, custom_format: str) -> str:
        if fmt == "timestamp":
            return str(now.timestamp())
        if fmt == "custom":
            return now.strftime(custom_format)
        if fmt == "formatted":
            with_weekday = self.get_config("include_weekday", True)
            if with_weekday and self.get_config("locale", "zh_CN") == "zh_CN":
                weekday = _CHINESE_WEEKDAYS[now.weekday()]
                return now.strftime("%Y年%m月%d日，星期") + weekday + now.strftime("，%H:%M:%S")
            if with_weekday:
                return now.strftime("%A, %B %d, %Y %H:%M:%S")
            return now.strftime("%Y-%m-%d %H:%M:%S")
        return now.isoformat()


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

    def flatten(self, value: Any) -> Tuple[Dict[str, Any], str, int]:
        """``(flat dict, type label, deepest level reached)`` for ``value``."""
        flat: Dict[str, Any] = {}
        depth = self._flatten(value, "", 0, flat, set())
        kind = (
            "dict" if isinstance(value, dict) else "list" if isinstance(value, list) else type(value).__name__
        )
        return flat, kind, depth

    def _flatten(self, value: Any, prefix: str, depth: int, out: Dict[str, Any], path: set) -> int:
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

    def _flatten_container(self, value: Any, prefix: str, depth: int, out: Dict[str, Any], path: set) -> int:
        separator = self.get_config("separator", ".")
        items: Iterable[Tuple[Optional[str], Any]]
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
