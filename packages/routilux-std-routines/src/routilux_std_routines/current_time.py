"""Telling the time: TimeProvider (spec §16.4)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, ClassVar

from routilux.routine import Routine

_CHINESE_WEEKDAYS = "一二三四五六日"


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
