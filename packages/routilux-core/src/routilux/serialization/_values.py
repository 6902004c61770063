"""Copying and checking plain data on its way in and out of ``serialize()``/``deserialize()``.

Everything that crosses the serialization boundary is copied (so a serialized
dict never aliases live state, and deserializing never mutates its input) and
bounded in depth (so hostile input fails with ``ValueError`` instead of a
``RecursionError`` or a hang).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Type, Union

#: Deepest nesting of dicts, lists and tuples accepted in serialized data.
MAX_DEPTH = 100

_SCALARS = frozenset({str, int, float, bool, type(None)})

_Types = Union[Type[Any], Tuple[Type[Any], ...]]


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _too_deep(where: str) -> ValueError:
    return ValueError(f"{where}: data nested deeper than {MAX_DEPTH} levels")


def copy_data(value: Any, where: str, depth: int = 0) -> Any:
    """A deep copy of plain data (dicts, lists, tuples become new containers; leaves are shared).

    Containers are snapshotted with ``list()``/``dict()`` first: those copies are
    atomic under the GIL, so a concurrent writer can never make this raise
    "dictionary changed size during iteration".
    """
    cls = type(value)
    if cls in _SCALARS:
        return value
    if depth >= MAX_DEPTH:
        raise _too_deep(where)
    if cls is dict or isinstance(value, dict):
        return {
            k: v if type(v) in _SCALARS else copy_data(v, where, depth + 1) for k, v in list(value.items())
        }
    if cls is list or isinstance(value, list):
        return [v if type(v) in _SCALARS else copy_data(v, where, depth + 1) for v in list(value)]
    if cls is tuple:
        return tuple(copy_data(v, where, depth + 1) for v in value)
    return value


def encode_value(value: Any, where: str, depth: int = 0) -> Any:
    """Like :func:`copy_data`, and callables (not classes) become callable reference dicts."""
    cls = type(value)
    if cls in _SCALARS:
        return value
    if depth >= MAX_DEPTH:
        raise _too_deep(where)
    if isinstance(value, dict):
        return {k: encode_value(v, where, depth + 1) for k, v in list(value.items())}
    if isinstance(value, list):
        return [encode_value(v, where, depth + 1) for v in list(value)]
    if cls is tuple:
        return tuple(encode_value(v, where, depth + 1) for v in value)
    if callable(value) and not isinstance(value, type):
        from routilux.serialization.callables import serialize_callable

        return serialize_callable(value)
    return value


def decode_value(value: Any, where: str, restore: Callable[[Mapping[str, Any]], Any], depth: int = 0) -> Any:
    """A deep copy of ``value`` where ``{"_type": "callable", ...}`` dicts are passed to ``restore``."""
    cls = type(value)
    if cls in _SCALARS:
        return value
    if depth >= MAX_DEPTH:
        raise _too_deep(where)
    if isinstance(value, Mapping):
        if value.get("_type") == "callable":
            return restore(value)
        return {k: decode_value(v, where, restore, depth + 1) for k, v in list(value.items())}
    if isinstance(value, list):
        return [decode_value(v, where, restore, depth + 1) for v in value]
    if cls is tuple:
        return tuple(decode_value(v, where, restore, depth + 1) for v in value)
    return value


# -- field checks ------------------------------------------------------------------------------


def require_mapping(data: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise TypeError(f"{what}: expected a dict, got {type(data).__name__} {_short(data)}")
    return data


def check_type(data: Mapping[str, Any], expected: str, what: str, *, required: bool) -> None:
    """``data["_type"]`` must be ``expected`` (or absent, unless ``required``)."""
    if "_type" not in data:
        if required:
            raise ValueError(f"{what}: missing field '_type' (expected {expected!r})")
        return
    if data["_type"] != expected:
        raise ValueError(f"{what}: field '_type' is {_short(data['_type'])}, expected {expected!r}")


_MISSING: Any = object()


def field(
    data: Mapping[str, Any],
    name: str,
    types: _Types,
    what: str,
    *,
    default: Any = _MISSING,
    nullable: bool = False,
) -> Any:
    """``data[name]`` checked against ``types``; ``default`` when absent (required without one).

    ``bool`` is never accepted where ``int``/``float`` is asked for.
    """
    if name not in data:
        if default is _MISSING:
            raise ValueError(f"{what}: missing field {name!r}")
        return default
    value = data[name]
    if value is None and nullable:
        return None
    wanted = types if isinstance(types, tuple) else (types,)
    if isinstance(value, bool) and bool not in wanted:
        ok = False
    else:
        ok = isinstance(value, wanted)
    if not ok:
        names = " or ".join(t.__name__ for t in wanted) + (" or None" if nullable else "")
        raise TypeError(f"{what}: field {name!r} must be {names}, got {type(value).__name__} {_short(value)}")
    return value


def non_negative(value: Any, name: str, what: str) -> Any:
    if value is not None and value < 0:
        raise ValueError(f"{what}: field {name!r} must not be negative, got {value!r}")
    return value


def parse_datetime(value: Any, name: str, what: str, *, nullable: bool = False) -> Optional[datetime]:
    """An iso string (as ``serialize()`` writes it) or a datetime (as a tagging codec returns it)."""
    if value is None and nullable:
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{what}: field {name!r} is not an ISO datetime: {_short(value)}") from None
    raise TypeError(
        f"{what}: field {name!r} must be an ISO datetime string, got {type(value).__name__} {_short(value)}"
    )


def list_of_dicts(data: Mapping[str, Any], name: str, what: str) -> List[Dict[str, Any]]:
    """A copy of the list of dicts ``data[name]`` (empty when absent)."""
    items = field(data, name, list, what, default=[])
    where = f"{what}, field {name!r}"
    out = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise TypeError(f"{where}[{index}]: expected a dict, got {type(item).__name__} {_short(item)}")
        out.append(copy_data(dict(item), where, 1))
    return out


def str_keyed_dict(data: Mapping[str, Any], name: str, what: str) -> Dict[str, Any]:
    """A copy of the dict ``data[name]`` whose keys must be strings (empty when absent)."""
    value = field(data, name, Mapping, what, default={})
    for key in value:
        if not isinstance(key, str):
            raise TypeError(f"{what}: field {name!r} has a non-string key {_short(key)}")
    return copy_data(dict(value), f"{what}, field {name!r}", 1)  # type: ignore[no-any-return]
