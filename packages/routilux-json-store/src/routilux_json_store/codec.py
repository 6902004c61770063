"""The ``json`` format: UTF-8 JSON with sorted keys, where datetimes and enums survive.

Plain JSON cannot hold every value ``serialize()`` produces; those are written
as the tagged objects ``{"__routilux__": <tag>, ...}`` of
:mod:`routilux.serialization.tagged` (datetimes, dates and times as ISO text,
enum members with their class's import path, tuples, sets, frozensets, bytes
as base64, and dicts a JSON object cannot hold as ``[key, value]`` pairs).
Non-finite floats are written as the ``NaN``/``Infinity`` literals of
Python's ``json`` module.

Output is deterministic: keys are sorted, no whitespace, ``ensure_ascii=False``.
Reading never evaluates anything; malformed input raises ``ValueError``.
"""

from __future__ import annotations

import json
from typing import Any

from routilux.plugins.specs import SerializerSpec
from routilux.serialization import TAG, decode_tagged, encode_tagged

__all__ = ["JSON_SERIALIZER", "TAG", "dumps", "loads"]


def dumps(obj: Any) -> bytes:
    """``obj`` as UTF-8 JSON bytes (sorted keys, compact). ``TypeError`` for values JSON cannot hold."""
    return json.dumps(
        encode_tagged(obj), sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=True
    ).encode("utf-8")


def loads(data: bytes) -> Any:
    """The value :func:`dumps` wrote. ``ValueError`` for anything that is not such JSON."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(f"not UTF-8: {error}") from None
    elif isinstance(data, str):
        text = data
    else:
        raise TypeError(f"loads() takes bytes, got {type(data).__name__}")
    try:
        return json.loads(text, object_hook=decode_tagged)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


#: The serializer this distribution provides (also usable without the plugin registry).
JSON_SERIALIZER = SerializerSpec(
    name="json",
    dumps=dumps,
    loads=loads,
    suffixes=(".json",),
    description="UTF-8 JSON, sorted keys; datetimes and enums round-trip",
)
