"""The ``json`` format: UTF-8 JSON with sorted keys, where datetimes and enums survive.

Plain JSON cannot hold every value ``serialize()`` produces, so a few are
written as tagged objects ``{"__routilux__": <tag>, ...}``:

* ``datetime``/``date``/``time`` -> ISO text (a timezone offset is kept);
* an ``Enum`` member -> its value plus the enum's import path; on reading it is
  the member again if that enum class is already imported (no module is ever
  imported because a file names it), else its plain value, which equals the
  member for ``str``/``int`` enums;
* ``tuple``/``set``/``frozenset`` -> their items; ``bytes`` -> base64;
* a dict with non-string keys, or with a ``"__routilux__"`` key of its own -> its
  ``[key, value]`` pairs, so user data can never be mistaken for a tag.

Output is deterministic: keys are sorted, no whitespace, ``ensure_ascii=False``.
Reading never evaluates anything; malformed input raises ``ValueError``.
"""

from __future__ import annotations

import base64
import datetime as _dt
import enum
import json
import sys
from typing import Any, Dict, List

__all__ = ["TAG", "dumps", "loads"]

TAG = "__routilux__"

_SCALARS = (str, int, float, bool, type(None))


def _encode(value: Any, depth: int = 0) -> Any:
    if isinstance(value, _SCALARS) and not isinstance(value, enum.Enum):
        return value
    if depth > 500:
        raise ValueError("cannot encode: data nested more than 500 levels deep")
    if isinstance(value, dict):
        if TAG not in value and all(type(k) is str for k in value):
            return {k: _encode(v, depth + 1) for k, v in value.items()}
        # Pairs, not an object: a user key equal to TAG must not reach the decoder as a tag.
        return {
            TAG: "map",
            "items": [[_encode(k, depth + 1), _encode(v, depth + 1)] for k, v in value.items()],
        }
    if isinstance(value, list):
        return [_encode(v, depth + 1) for v in value]
    if isinstance(value, enum.Enum):
        cls = type(value)
        return {
            TAG: "enum",
            "class": f"{cls.__module__}:{cls.__qualname__}",
            "value": _encode(value.value, depth + 1),
        }
    if isinstance(value, _dt.datetime):
        return {TAG: "datetime", "value": value.isoformat()}
    if isinstance(value, _dt.date):
        return {TAG: "date", "value": value.isoformat()}
    if isinstance(value, _dt.time):
        return {TAG: "time", "value": value.isoformat()}
    if isinstance(value, tuple):
        return {TAG: "tuple", "items": [_encode(v, depth + 1) for v in value]}
    if isinstance(value, (set, frozenset)):
        items = [_encode(v, depth + 1) for v in value]
        try:
            items.sort(key=lambda item: json.dumps(item, sort_keys=True))  # deterministic output
        except TypeError:
            pass
        return {TAG: "frozenset" if isinstance(value, frozenset) else "set", "items": items}
    if isinstance(value, (bytes, bytearray)):
        return {TAG: "bytes", "value": base64.b64encode(bytes(value)).decode("ascii")}
    # Named by its type only: the value's own __repr__ is user code, which may raise or hang.
    cls = type(value)
    name = cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    raise TypeError(f"cannot encode {name} as JSON")


def _enum_member(path: Any, value: Any) -> Any:
    if not isinstance(path, str):
        raise ValueError(f"enum tag: 'class' must be a string, got {path!r:.80}")
    module_name, _, qualname = path.partition(":")
    obj: Any = sys.modules.get(module_name)  # only classes already imported; nothing is imported here
    for part in qualname.split("."):
        if obj is None or part.startswith("__"):
            return value
        obj = getattr(obj, part, None)
    if isinstance(obj, type) and issubclass(obj, enum.Enum):
        try:
            return obj(value)
        except (ValueError, TypeError):
            return value
    return value


def _items(obj: Dict[str, Any], tag: str) -> List[Any]:
    items = obj.get("items")
    if not isinstance(items, list):
        raise ValueError(f"{tag} tag: 'items' must be a list, got {items!r:.80}")
    return items


def _text(obj: Dict[str, Any], tag: str) -> str:
    value = obj.get("value")
    if not isinstance(value, str):
        raise ValueError(f"{tag} tag: 'value' must be a string, got {value!r:.80}")
    return value


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    return value


def _decode_tag(obj: Dict[str, Any]) -> Any:
    tag = obj[TAG]
    if tag == "datetime":
        return _dt.datetime.fromisoformat(_text(obj, tag))
    if tag == "date":
        return _dt.date.fromisoformat(_text(obj, tag))
    if tag == "time":
        return _dt.time.fromisoformat(_text(obj, tag))
    if tag == "enum":
        return _enum_member(obj.get("class"), obj.get("value"))
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
    raise ValueError(f"unknown tag {TAG!r}: {tag!r:.80}")


def _object_hook(obj: Dict[str, Any]) -> Any:
    if TAG in obj:
        return _decode_tag(obj)
    return obj


def dumps(obj: Any) -> bytes:
    """``obj`` as UTF-8 JSON bytes (sorted keys, compact). ``TypeError`` for values JSON cannot hold."""
    return json.dumps(
        _encode(obj), sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=True
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
        return json.loads(text, object_hook=_object_hook)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
