"""Job data as JSON, whatever the journal holds.

Journal payloads are plain data, but a serializer may keep values JSON has no
form for (bytes, a non-finite float, a tuple key). The API must still answer,
and a page's script must still parse it: such values are given as their
``repr`` (non-finite floats too, which ``JSON.parse`` refuses).
"""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.responses import JSONResponse

__all__ = ["DataResponse", "dumps", "plain"]


def plain(value: Any) -> Any:
    """``value`` with what JSON cannot hold replaced by its ``repr``."""
    if isinstance(value, dict):
        return {key if isinstance(key, str) else repr(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)


def dumps(value: Any, **options: Any) -> str:
    """``value`` as JSON text (compact unless ``options`` say otherwise); the fast path first,
    :func:`plain` only for data that needs it."""
    options.setdefault("separators", (",", ":"))
    try:
        return json.dumps(value, allow_nan=False, **options)
    except (TypeError, ValueError):
        return json.dumps(plain(value), allow_nan=False, **options)


class DataResponse(JSONResponse):
    """A JSON response of job data (see the module docstring)."""

    def render(self, content: Any) -> bytes:
        return dumps(content, ensure_ascii=False).encode("utf-8")
