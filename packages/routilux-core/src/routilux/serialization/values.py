"""Copying and checking plain data on its way in and out of ``serialize()``/``deserialize()``.

Everything that crosses the serialization boundary is copied (so a serialized
dict never aliases live state, and deserializing never mutates its input) and
bounded in depth (so hostile input fails with ``ValueError`` instead of a
``RecursionError`` or a hang).

Error messages never run code of the user's values (no ``repr``/``str`` of
their objects): :func:`_short` shows plain data only, and
:func:`find_unencodable` names the path to a value a serializer refused and
its type.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, NamedTuple

#: Deepest nesting of dicts, lists and tuples accepted in serialized data.
MAX_DEPTH = 100

_SCALARS = frozenset({str, int, float, bool, type(None)})

_Types = type[Any] | tuple[type[Any], ...]


def _short(value: Any, limit: int = 80) -> str:
    """``value`` for an error message, at most ``limit`` characters, running none of its code.

    Only plain data is shown as ``repr`` (str, numbers, None, and dicts, lists
    and tuples of them); any other object is named by its type, because its
    ``__repr__`` is user code that may raise or lie.
    """
    text = _plain_repr(value, limit + 1)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _plain_repr(value: Any, budget: int) -> str:
    # Stops early: a message never needs more than ``budget`` characters of a huge container,
    # and each nesting level spends some of the budget, so deep data cannot recurse far.
    cls = type(value)
    if cls in _SCALARS:
        return repr(value)
    if cls is dict or cls is list or cls is tuple:
        opening, closing = ("{", "}") if cls is dict else ("[", "]") if cls is list else ("(", ")")
        parts: list[str] = []
        used = 2
        items = value.copy().items() if cls is dict else value
        for item in items:
            if used >= budget:
                parts.append("...")
                break
            if cls is dict:
                key = _plain_repr(item[0], budget - used)
                part = f"{key}: {_plain_repr(item[1], budget - used - len(key))}"
            else:
                part = _plain_repr(item, budget - used)
            parts.append(part)
            used += len(part) + 2
        if cls is tuple and len(parts) == 1:
            parts[0] += ","
        return opening + ", ".join(parts) + closing
    return f"<{type_name(value)} object>"


def type_name(value: Any) -> str:
    """The qualified name of ``value``'s type (bare for builtins), read from the type alone."""
    cls = type(value)
    qualname, module = cls.__qualname__, cls.__module__
    if type(qualname) is not str:  # a metaclass may say anything
        qualname = "?"
    if type(module) is not str or module == "builtins":
        return qualname
    return f"{module}.{qualname}"


def _too_deep(where: str) -> ValueError:
    return ValueError(f"{where}: data nested deeper than {MAX_DEPTH} levels")


def copy_data(value: Any, where: str, depth: int = 0) -> Any:
    """A deep copy of plain data (dicts, lists, tuples become new containers; leaves are shared).

    Each dict or list is first copied whole with its own ``copy()``, one C call
    that runs no Python code while it copies (no tracked object is allocated
    then, so no garbage collection, finalizer or thread switch can happen in
    the middle; str and int keys compare in C), and the walk then reads that
    private copy: a container changed meanwhile by another
    thread is copied as it was at that call, never half-changed. (The old walk
    over ``list(value.items())`` allocated a tuple per item, so a collection
    could run other threads' code in the middle of it: "dictionary changed
    size during iteration".) A consistent picture of *several* containers
    needs their owner's lock; ``JobState.serialize`` holds ``job.lock``.
    """
    cls = type(value)
    if cls in _SCALARS:
        return value
    if depth >= MAX_DEPTH:
        raise _too_deep(where)
    if cls is dict or isinstance(value, dict):
        items = value.copy() if cls is dict else dict(value)
        if _SCALARS.issuperset(map(type, items.values())):  # flat: the copy is the answer
            return items
        return {k: v if type(v) in _SCALARS else copy_data(v, where, depth + 1) for k, v in items.items()}
    if cls is list or isinstance(value, list):
        snapshot = value.copy() if cls is list else list(value)
        return [v if type(v) in _SCALARS else copy_data(v, where, depth + 1) for v in snapshot]
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
        # Copied whole first, as copy_data does: a worker changing the dict meanwhile cannot
        # make the walk raise "dictionary changed size during iteration".
        items = value.copy() if cls is dict else dict(value)
        return {k: encode_value(v, where, depth + 1) for k, v in items.items()}
    if isinstance(value, list):
        snapshot = value.copy() if cls is list else list(value)
        return [encode_value(v, where, depth + 1) for v in snapshot]
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


# -- naming the value a serializer cannot encode -----------------------------------------------

#: Path segments shown in a message; the middle of a longer path is elided.
_PATH_HEAD, _PATH_TAIL = 8, 4
#: Longest key text shown in a path segment.
_KEY_SHOWN = 40
#: Deepest walk (a serializer's own limit is what stops deeper data; this bounds the search).
_MAX_WALK = 10 * MAX_DEPTH


class Unencodable(NamedTuple):
    """Where a serializer failed: ``where`` ("the value at shared_data["x"]"), its type, the error."""

    where: str
    type_name: str
    error: Exception


def find_unencodable(data: Any, encode: Callable[[Any], object], error: Exception) -> Unencodable:
    """The value in ``data`` that ``encode`` (a serializer's ``dumps``) cannot encode.

    ``encode(data)`` raised ``error``. The walk encodes the keys and values of
    each dict and the items of each list or tuple on the failing path, goes
    down into the first that fails, and stops at a node none of whose parts
    fails: that node is the culprit. Only exact builtin containers are
    entered, so no code of the user's objects runs (no ``repr``, ``str``,
    ``__iter__``); the path names fields of serialized objects (dicts with a
    ``"_type"``) as ``.field`` and other keys and indexes as ``["key"]``/``[3]``,
    e.g. ``execution_history[12].data["x"]``. Run only on the error path:
    each level re-encodes the failing subtree.
    """
    node, parts, in_key = data, [], False
    for _ in range(_MAX_WALK):
        step = _failing_part(node, encode)
        if step is None:
            break
        segment, node, error, in_key = step
        if in_key:
            break
        parts.append(segment)
    path = _path_text(parts)
    if in_key:
        where = f"a key of the dict at {path}" if path else "a key of the data"
    else:
        where = f"the value at {path}" if path else "the data"
    return Unencodable(where, type_name(node), error)


def _failing_part(node: Any, encode: Callable[[Any], object]) -> tuple[str, Any, Exception, bool] | None:
    """(segment, part, error, is_key) of the first part of ``node`` that ``encode`` refuses."""
    cls = type(node)
    if cls is dict:
        fields = type(node.get("_type")) is str  # a serialized object: its keys are field names
        for key, value in node.copy().items():
            failure = _encode_error(encode, key)
            if failure is not None:
                return "", key, failure, True
            failure = _encode_error(encode, value)
            if failure is not None:
                return _key_segment(key, fields), value, failure, False
    elif cls is list or cls is tuple:
        for index, item in enumerate(node.copy() if cls is list else node):
            failure = _encode_error(encode, item)
            if failure is not None:
                return f"[{index}]", item, failure, False
    return None


def _encode_error(encode: Callable[[Any], object], value: Any) -> Exception | None:
    try:
        encode(value)
    except Exception as error:  # whatever the serializer raises is what the message reports
        return error
    return None


def _key_segment(key: Any, fields: bool) -> str:
    cls = type(key)
    if cls is str:
        if fields and key.isidentifier():
            return f".{key}"
        shown = key if len(key) <= _KEY_SHOWN else key[:_KEY_SHOWN] + "..."
        text = repr(shown)
        if text[0] == "'" and '"' not in shown:
            text = f'"{text[1:-1]}"'
        return f"[{text}]"
    if cls in _SCALARS:
        return f"[{key!r}]"
    return f"[<{type_name(key)} key>]"


def _path_text(parts: list[str]) -> str:
    if len(parts) > _PATH_HEAD + _PATH_TAIL:
        elided = f"...({len(parts) - _PATH_HEAD - _PATH_TAIL} more)..."
        parts = [*parts[:_PATH_HEAD], elided, *parts[-_PATH_TAIL:]]
    return "".join(parts).removeprefix(".")


def error_text(error: BaseException) -> str:
    """``"TypeError: message"`` for ``error``, without running user code.

    ``str(error)`` is used only when the class's ``__str__`` is a builtin one
    and every argument is plain (a str or number); otherwise, say for a user
    exception class with its own ``__str__``, just the class name is given.
    """
    cls = type(error)
    owner = next(klass for klass in cls.__mro__ if "__str__" in vars(klass))
    name = type_name(error)
    if owner.__module__ == "builtins" and all(type(arg) in _SCALARS for arg in error.args):
        text = str(error)
        return f"{name}: {text}" if text else name
    return name


# -- field checks ------------------------------------------------------------------------------


def require_mapping(data: Any, what: str) -> Mapping[str, Any]:
    if type(data) is dict:  # the common case, without the abstract-class check
        return data
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
    value = data.get(name, _MISSING)
    if value is _MISSING:
        if default is _MISSING:
            raise ValueError(f"{what}: missing field {name!r}")
        return default
    if type(value) is types:  # exactly the type asked for (so never a bool for an int): nothing to check
        return value
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


def parse_datetime(value: Any, name: str, what: str, *, nullable: bool = False) -> datetime | None:
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


def list_of_dicts(data: Mapping[str, Any], name: str, what: str) -> list[dict[str, Any]]:
    """A copy of the list of dicts ``data[name]`` (empty when absent)."""
    items = field(data, name, list, what, default=[])
    where = f"{what}, field {name!r}"
    out = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise TypeError(f"{where}[{index}]: expected a dict, got {type(item).__name__} {_short(item)}")
        out.append(copy_data(dict(item), where, 1))
    return out


def str_keyed_dict(data: Mapping[str, Any], name: str, what: str) -> dict[str, Any]:
    """A copy of the dict ``data[name]`` whose keys must be strings (empty when absent)."""
    value = field(data, name, Mapping, what, default={})
    for key in value:
        if not isinstance(key, str):
            raise TypeError(f"{what}: field {name!r} has a non-string key {_short(key)}")
    return copy_data(dict(value), f"{what}, field {name!r}", 1)  # type: ignore[no-any-return]
