"""The ``msgspec-json`` format: the ``json`` serializer's format, written and read by msgspec.

UTF-8 JSON, keys sorted, no whitespace. Values plain JSON cannot hold are the
tagged objects ``{"__routilux__": <tag>, ...}`` of the ``json`` codec
(routilux-json-store), so each serializer reads the other's files, with one
exception: msgspec cannot read or write the non-standard ``NaN``/``Infinity``
literals the ``json`` codec writes for non-finite floats, so this format
writes those as ``{"__routilux__": "float", "value": "nan" | "inf" | "-inf"}``,
a tag the ``json`` codec does not know.

Decoding looks for tags only when the text contains the tag key at all, so
the common case, data without tuples, sets, datetimes, enums or bytes, is
msgspec's decoder alone. Reading never imports or evaluates anything;
malformed input raises ``ValueError``.
"""

from __future__ import annotations

import base64
import datetime as _dt
import math
from typing import Any

import msgspec

from routilux_msgspec.values import MAX_DEPTH, Preparer, enum_member

__all__ = ["TAG", "dumps", "loads"]

#: The key of a tagged object (the ``json`` codec's).
TAG = "__routilux__"
_MARKER = f'"{TAG}"'
_MARKER_BYTES = _MARKER.encode("ascii")
_NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


class _JsonPreparer(Preparer):
    # Floats are checked one by one: msgspec would write NaN and infinities as null.
    plain = Preparer.plain - {float}
    reserved_key = TAG
    format_name = "JSON"

    def special(self, value: Any, depth: int) -> Any:
        if type(value) is float:
            if value - value == 0.0:  # false for NaN and both infinities
                return value
            return {TAG: "float", "value": "nan" if value != value else ("inf" if value > 0 else "-inf")}
        return super().special(value, depth)

    def tag(self, tag: str, payload: Any) -> Any:
        if tag == "enum":
            return {TAG: "enum", "class": payload[0], "value": payload[1]}
        if tag == "bytes":
            return {TAG: "bytes", "value": base64.b64encode(payload).decode("ascii")}
        if tag in ("datetime", "date", "time"):
            return {TAG: tag, "value": payload}
        return {TAG: tag, "items": payload}


_encoder = msgspec.json.Encoder(order="sorted")
_prepare = _JsonPreparer(_encoder.encode)
_decoder = msgspec.json.Decoder()


def dumps(obj: Any) -> bytes:
    """``obj`` as UTF-8 JSON bytes (sorted keys, compact). ``TypeError`` for values the format
    cannot hold, ``ValueError`` for data nested more than 500 levels deep."""
    try:
        return _encoder.encode(_prepare(obj))
    except RecursionError:
        raise ValueError("cannot encode: data nested too deeply") from None


def _items(obj: dict[str, Any], tag: str) -> list[Any]:
    items = obj.get("items")
    if not isinstance(items, list):
        raise ValueError(f"{tag} tag: 'items' must be a list, got {items!r:.80}")
    return items


def _text(obj: dict[str, Any], tag: str) -> str:
    value = obj.get("value")
    if not isinstance(value, str):
        raise ValueError(f"{tag} tag: 'value' must be a string, got {value!r:.80}")
    return value


def _hashable(value: Any) -> Any:
    # The json codec's rule for set items and map keys written as JSON arrays.
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    return value


def _decode_tag(obj: dict[str, Any]) -> Any:
    tag = obj[TAG]
    if tag == "datetime":
        return _dt.datetime.fromisoformat(_text(obj, tag))
    if tag == "date":
        return _dt.date.fromisoformat(_text(obj, tag))
    if tag == "time":
        return _dt.time.fromisoformat(_text(obj, tag))
    if tag == "enum":
        return enum_member(obj.get("class"), obj.get("value"))
    if tag == "tuple":
        return tuple(_items(obj, tag))
    if tag in ("set", "frozenset"):
        try:
            items = {_hashable(v) for v in _items(obj, tag)}
        except TypeError as error:
            raise ValueError(f"{tag} tag: unhashable item: {error}") from None
        return frozenset(items) if tag == "frozenset" else items
    if tag == "bytes":
        try:
            return base64.b64decode(_text(obj, tag), validate=True)
        except ValueError as error:
            raise ValueError(f"bytes tag: invalid base64: {error}") from None
    if tag == "map":
        out = {}
        for pair in _items(obj, tag):
            if not isinstance(pair, list) or len(pair) != 2:
                raise ValueError(f"map tag: each item must be a [key, value] pair, got {pair!r:.80}")
            try:
                out[_hashable(pair[0])] = pair[1]
            except TypeError as error:
                raise ValueError(f"map tag: unhashable key {pair[0]!r:.80}: {error}") from None
        return out
    if tag == "float":
        text = _text(obj, tag)
        if text not in _NON_FINITE:
            raise ValueError(f"float tag: 'value' must be one of {sorted(_NON_FINITE)}, got {text!r:.80}")
        return _NON_FINITE[text]
    raise ValueError(f"unknown tag {TAG!r}: {tag!r:.80}")


def _restore(value: Any, depth: int) -> Any:
    """Decode the tagged objects in ``value``, innermost first (copy-on-write, like the encoder)."""
    if depth > MAX_DEPTH:
        raise ValueError(f"JSON nested more than {MAX_DEPTH} levels deep")
    if type(value) is dict:
        changed = None
        for key, item in value.items():
            kind = type(item)
            if kind is dict or kind is list:
                restored = _restore(item, depth + 1)
                if restored is not item:
                    if changed is None:
                        changed = dict(value)
                    changed[key] = restored
        obj = value if changed is None else changed
        return _decode_tag(obj) if TAG in obj else obj
    if type(value) is list:
        changed_items = None
        for index, item in enumerate(value):
            kind = type(item)
            if kind is dict or kind is list:
                restored = _restore(item, depth + 1)
                if restored is not item:
                    if changed_items is None:
                        changed_items = list(value)
                    changed_items[index] = restored
        return value if changed_items is None else changed_items
    return value


def loads(data: bytes) -> Any:
    """The value :func:`dumps` (or the ``json`` codec) wrote. ``ValueError`` for anything that
    is not such JSON."""
    if isinstance(data, str):
        tagged = _MARKER in data or "\\u" in data
    elif isinstance(data, (bytes, bytearray, memoryview)):
        if isinstance(data, memoryview):
            data = data.tobytes()
        tagged = _MARKER_BYTES in data or b"\\u" in data
    else:
        raise TypeError(f"loads() takes bytes, got {type(data).__name__}")
    try:
        decoded = _decoder.decode(data)
        # Text holds a tag key only if it spells '"__routilux__"' or escapes a character
        # (which the encoders do only for control characters): otherwise skip the walk.
        return _restore(decoded, 0) if tagged else decoded
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
