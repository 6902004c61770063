"""Rewriting values into what msgspec writes without loss: the walk both formats share.

msgspec encodes tuples, sets, datetimes, enums and bytes natively, but reads
them back as lists, strings and plain values, and it refuses subclasses of
``str``/``int``/``float``. The ``json`` serializer (routilux-json-store) keeps
all of them, so before encoding, a :class:`Preparer` rewrites every such value
into a form of the target format that names its type (a MessagePack extension
type, or a ``{"__routilux__": <tag>, ...}`` object in JSON). The walk is
copy-on-write: a dict or list none of whose items changed is passed on as it
is, so plain data (most of a job state) costs one type check per item and no
allocation.

What is accepted and how each value comes back is the ``json`` codec's
contract, value for value: dicts of any hashable keys, lists, tuples, sets,
frozensets, ``str``/``int``/``float``/``bool``/``None``, ``bytes``/``bytearray``
(read back as ``bytes``), ``datetime``/``date``/``time`` (timezone offsets
kept), enum members (read back as the member if the enum's module is already
imported, else as the plain value). Subclasses of ``dict``/``list``/``tuple``/
``str``/``int``/``float`` are written as their base type. Anything else raises
``TypeError``; more than :data:`MAX_DEPTH` levels of nesting raise ``ValueError``.
"""

from __future__ import annotations

import datetime as _dt
import enum
import sys
from typing import Any, Callable

__all__ = ["MAX_DEPTH", "Preparer", "enum_member", "enum_path"]

#: Deepest nesting accepted when encoding (the ``json`` codec's limit).
MAX_DEPTH = 500


def enum_path(member: enum.Enum) -> str:
    """``"module:Qualname"`` of ``member``'s class, as the ``json`` codec writes it."""
    cls = type(member)
    return f"{cls.__module__}:{cls.__qualname__}"


def enum_member(path: Any, value: Any) -> Any:
    """The member of the enum at ``path`` whose value is ``value``, else ``value`` itself.

    Only classes already imported are looked up: a file never makes routilux
    import a module (the ``json`` codec's rule). ``ValueError`` if ``path`` is
    not a string.
    """
    if not isinstance(path, str):
        raise ValueError(f"enum tag: the class must be a string, got {path!r:.80}")
    module_name, _, qualname = path.partition(":")
    obj: Any = sys.modules.get(module_name)
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


def _too_deep() -> ValueError:
    return ValueError(f"cannot encode: data nested more than {MAX_DEPTH} levels deep")


class Preparer:
    """Rewrites a value so that a msgspec encoder writes it without loss (see the module doc).

    A format subclasses this and implements :meth:`tag`, which gets the tag
    name of the ``json`` codec (``"datetime"``, ``"date"``, ``"time"``,
    ``"enum"``, ``"tuple"``, ``"set"``, ``"frozenset"``, ``"bytes"``, ``"map"``)
    and an already prepared payload:

    * ``datetime``/``date``/``time``: the ISO text;
    * ``enum``: ``[<enum_path>, <prepared value>]``;
    * ``tuple``: the prepared items; ``set``/``frozenset``: the prepared items,
      sorted by ``sort_key`` so equal sets encode to equal bytes;
    * ``map`` (a dict with a non-string key, or with :attr:`reserved_key`):
      ``[key, value]`` pairs, prepared, in the dict's order;
    * ``bytes``: the ``bytes`` themselves.
    """

    #: Exact types written as they are (subclasses go through :meth:`special`).
    plain: frozenset[type] = frozenset({str, int, float, bool, type(None)})
    #: A string key that must not appear as a plain map key (JSON's tag key), or None.
    reserved_key: str | None = None
    #: The format, as named in error messages.
    format_name = "data"

    def __init__(self, sort_key: Callable[[Any], Any]) -> None:
        self.sort_key = sort_key
        self.walk, self.walk_dict, self.walk_list = self._build_walk()

    def __call__(self, value: Any) -> Any:
        return self.walk(value, 0)

    def tag(self, tag: str, payload: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not implement tag()")

    def _build_walk(self) -> tuple[Callable[[Any, int], Any], ...]:
        """The three walks, as closures: this is the per-item loop over a whole job state, and
        free variables are read faster than attributes (about a quarter of the time here)."""
        plain = self.plain
        reserved = self.reserved_key
        special = self.special
        tag = self.tag
        limit = MAX_DEPTH

        def walk(value: Any, depth: int) -> Any:
            kind = type(value)
            if kind in plain:
                return value
            if kind is dict:
                return walk_dict(value, depth)
            if kind is list:
                return walk_list(value, depth)
            if depth > limit:
                raise _too_deep()
            return special(value, depth)

        def walk_map(value: dict[Any, Any], depth: int) -> Any:
            # Not a plain string-keyed map: its [key, value] pairs, tagged.
            return tag("map", [[walk(k, depth + 1), walk(v, depth + 1)] for k, v in value.items()])

        def walk_dict(value: dict[Any, Any], depth: int) -> Any:
            if depth > limit:
                raise _too_deep()
            if reserved is not None and reserved in value:
                return walk_map(value, depth)
            changed: dict[Any, Any] | None = None
            for key, item in value.items():
                if type(key) is not str:
                    return walk_map(value, depth)
                kind = type(item)
                if kind in plain:
                    continue
                prepared = walk_dict(item, depth + 1) if kind is dict else walk(item, depth + 1)
                if prepared is not item:
                    if changed is None:
                        changed = dict(value)
                    changed[key] = prepared
            return value if changed is None else changed

        def walk_list(value: list[Any], depth: int) -> Any:
            if depth > limit:
                raise _too_deep()
            changed: list[Any] | None = None
            for index, item in enumerate(value):
                kind = type(item)
                if kind in plain:
                    continue
                prepared = walk_dict(item, depth + 1) if kind is dict else walk(item, depth + 1)
                if prepared is not item:
                    if changed is None:
                        changed = list(value)
                    changed[index] = prepared
            return value if changed is None else changed

        return walk, walk_dict, walk_list

    def special(self, value: Any, depth: int) -> Any:
        """Every value whose exact type is not plain, dict or list."""
        # Enum first: IntEnum and StrEnum members are ints and strings too.
        if isinstance(value, enum.Enum):
            return self.tag("enum", [enum_path(value), self.walk(value.value, depth + 1)])
        if isinstance(value, str):
            return self.walk(str.__str__(value), depth)  # the base type's copy, not a custom __str__
        if isinstance(value, int):  # bool is plain: it cannot be subclassed
            return self.walk(int.__int__(value), depth)
        if isinstance(value, float):
            return self.walk(float.__float__(value), depth)
        if isinstance(value, dict):
            return self.walk_dict(dict(value), depth)
        if isinstance(value, list):
            return self.walk_list(list(value), depth)
        if isinstance(value, _dt.datetime):
            return self.tag("datetime", value.isoformat())
        if isinstance(value, _dt.date):
            return self.tag("date", value.isoformat())
        if isinstance(value, _dt.time):
            return self.tag("time", value.isoformat())
        if isinstance(value, tuple):
            return self.tag("tuple", [self.walk(item, depth + 1) for item in value])
        if isinstance(value, (set, frozenset)):
            items = [self.walk(item, depth + 1) for item in value]
            items.sort(key=self.sort_key)
            return self.tag("frozenset" if isinstance(value, frozenset) else "set", items)
        if isinstance(value, (bytes, bytearray)):
            return self.tag("bytes", bytes(value))
        raise TypeError(f"cannot encode {type(value).__name__} {value!r:.80} as {self.format_name}: it holds "
                        f"dicts, lists, tuples, sets, str, int, float, bool, None, bytes, "
                        f"datetime/date/time and enum members")

