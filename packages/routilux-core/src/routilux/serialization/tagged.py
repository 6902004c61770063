"""The tagged-value format: values plain JSON has no type for, as ``{"__routilux__": <tag>, ...}``.

``serialize()`` data may hold values JSON cannot tell apart from others. The
serializers keep them by writing each as a tagged object (this is the ``json``
serializer's format; ``msgspec-json`` writes the same, ``msgpack`` writes the
same tags as MessagePack extension types):

=========  ==================================================  ==========================
tag        value                                               fields
=========  ==================================================  ==========================
datetime   ``datetime`` (a timezone offset is kept)            ``value``: ISO text
date       ``date``                                            ``value``: ISO text
time       ``time`` (a timezone offset is kept)                ``value``: ISO text
enum       an ``Enum`` member                                  ``class``: ``"module:Qualname"``,
                                                               ``value``: the member's value
tuple      ``tuple``                                           ``items``: the items
set        ``set``                                             ``items``: the items, sorted
frozenset  ``frozenset``                                       ``items``: the items, sorted
bytes      ``bytes``/``bytearray``                             ``value``: base64 text
map        a dict with a non-string key, or with a             ``items``: ``[key, value]``
           ``"__routilux__"`` key of its own                   pairs, so user data is
                                                               never mistaken for a tag
=========  ==================================================  ==========================

An enum comes back as its member if that enum class is already imported (no
module is ever imported because data names it), else as its plain value,
which equals the member for ``str``/``int`` enums. Subclasses of ``dict``,
``list``, ``tuple``, ``str``, ``int`` and ``float`` are written as their base
type. Any other value raises ``TypeError``, named by its type only (its
``repr`` is user code, which may raise); more than :data:`MAX_NESTING` levels
raise ``ValueError``. Decoding never evaluates anything; a malformed tagged
object raises ``ValueError``.

:func:`encode_tagged` and :func:`decode_tagged` are the format for the
stdlib ``json`` module (``json.loads(text, object_hook=decode_tagged)``);
:class:`Tagger` and :class:`TagDecoder` let another encoder write the same
tags its own way (see routilux-msgspec).
"""

from __future__ import annotations

import base64
import datetime as _dt
import enum
import functools
import json
import operator
import sys
from collections.abc import Callable, Mapping
from typing import Any

from routilux.serialization.values import type_name

__all__ = [
    "MAX_NESTING",
    "TAG",
    "JsonTagger",
    "TagDecoder",
    "Tagger",
    "decode_tagged",
    "encode_tagged",
    "enum_member",
    "enum_path",
    "restore_tagged",
    "tag_text",
]

#: The key that marks a tagged object.
TAG = "__routilux__"

#: Deepest nesting encoded or restored. Codecs take any user data, so this is looser than the
#: ``MAX_DEPTH`` of ``serialize()`` data, yet far from Python's recursion limit.
MAX_NESTING = 500

#: Reads the value of one tagged object whose tag it is registered for.
TagReader = Callable[[dict[str, Any]], Any]


def enum_path(member: enum.Enum) -> str:
    """``"module:Qualname"`` of ``member``'s class, as an ``enum`` tag names it."""
    cls = type(member)
    return f"{cls.__module__}:{cls.__qualname__}"


def enum_member(path: Any, value: Any) -> Any:
    """The member of the enum class at ``path`` whose value is ``value``, else ``value`` itself.

    Only classes already imported are looked up, and no dunder attribute is
    followed: data never makes routilux import or reach anything.

    Raises:
        ValueError: ``path`` is not a string.
    """
    if not isinstance(path, str):
        raise ValueError(f"enum tag: 'class' must be a string, got {path!r:.80}")
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


def _changed(value: dict[str, Any], changed: dict[str, Any] | None, key: str, item: Any) -> dict[str, Any]:
    """``changed`` with ``key`` set to ``item``; on the first change of ``value``, its copy."""
    if changed is None:
        changed = value.copy()
    changed[key] = item
    return changed


def _too_deep() -> ValueError:
    return ValueError(f"cannot encode: data nested more than {MAX_NESTING} levels deep")


class Tagger:
    """Rewrites a value into data an encoder writes without loss (see the module docstring).

    A format subclasses this and implements :meth:`tag`, which gets the tag
    name and an already rewritten payload:

    * ``datetime``/``date``/``time``: the ISO text;
    * ``enum``: ``[<enum_path>, <value>]``;
    * ``tuple``: the items; ``set``/``frozenset``: the items, sorted by
      ``sort_key`` so that equal sets encode to equal bytes;
    * ``map``: ``[key, value]`` pairs, in the dict's order;
    * ``bytes``: the ``bytes`` themselves.

    The walk is copy-on-write: a dict or list none of whose items changed is
    returned as it is, so plain data costs one type check per item and no
    allocation. Calling the tagger rewrites a value.

    Args:
        sort_key: orders the rewritten items of a set, e.g. the encoder's own ``encode``.
    """

    #: Exact types written as they are (subclasses go through :meth:`special`).
    plain: frozenset[type] = frozenset({str, int, float, bool, type(None)})
    #: A string key that must not appear as a key of a plain dict (JSON's :data:`TAG`), or None.
    reserved_key: str | None = None
    #: The format, as named in error messages.
    format_name = "data"

    def __init__(self, sort_key: Callable[[Any], Any]) -> None:
        self.sort_key = sort_key
        self.walk = self._build_walk()

    def __call__(self, value: Any) -> Any:
        return self.walk(value, 0)

    def tag(self, tag: str, payload: Any) -> Any:
        """The encoder's form of a value tagged ``tag`` (see the class docstring)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement tag()")

    def _build_walk(self) -> Callable[[Any, int], Any]:
        # A closure: this is the per-item loop over a whole job state, and free variables are
        # read faster than attributes (about a quarter of its time). Dicts are tested first and
        # walked inline, as they are most of what a job state holds.
        plain = self.plain
        reserved = self.reserved_key
        special = self.special
        tag = self.tag
        limit = MAX_NESTING
        same = operator.is_

        def walk(value: Any, depth: int) -> Any:
            kind = type(value)
            if kind is dict:
                if depth > limit:
                    raise _too_deep()
                if reserved is not None and reserved in value:
                    return walk_map(value, depth)
                changed: dict[str, Any] | None = None
                for key, item in value.items():
                    if type(key) is not str:
                        return walk_map(value, depth)
                    if type(item) in plain:
                        continue
                    rewritten = walk(item, depth + 1)
                    if rewritten is not item:
                        changed = _changed(value, changed, key, rewritten)
                return value if changed is None else changed
            if kind is list:
                if depth > limit:
                    raise _too_deep()
                items = [item if type(item) in plain else walk(item, depth + 1) for item in value]
                return value if all(map(same, items, value)) else items
            if kind in plain:
                return value
            if depth > limit:
                raise _too_deep()
            return special(value, depth)

        def walk_map(value: dict[Any, Any], depth: int) -> Any:
            return tag("map", [[walk(k, depth + 1), walk(v, depth + 1)] for k, v in value.items()])

        return walk

    def special(self, value: Any, depth: int) -> Any:
        """Every value whose exact type is not plain, dict or list."""
        # Enum first: IntEnum and StrEnum members are ints and strings too.
        if isinstance(value, enum.Enum):
            return self.tag("enum", [enum_path(value), self.walk(value.value, depth + 1)])
        if isinstance(value, str):
            return self.walk(str.__str__(value), depth)  # the base type's copy, not a custom __str__
        if isinstance(value, int):  # bool cannot be subclassed, so it is plain
            return self.walk(int.__int__(value), depth)
        if isinstance(value, float):
            return self.walk(float.__float__(value), depth)
        if isinstance(value, dict):
            return self.walk(dict(value), depth)
        if isinstance(value, list):
            return self.walk(list(value), depth)
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
        raise TypeError(f"cannot encode {type_name(value)} as {self.format_name}")


class JsonTagger(Tagger):
    """A :class:`Tagger` writing the tagged JSON objects of the module docstring."""

    reserved_key = TAG
    format_name = "JSON"

    def tag(self, tag: str, payload: Any) -> Any:
        if tag == "enum":
            return {TAG: "enum", "class": payload[0], "value": payload[1]}
        if tag == "bytes":
            return {TAG: "bytes", "value": base64.b64encode(payload).decode("ascii")}
        if tag in ("datetime", "date", "time"):
            return {TAG: tag, "value": payload}
        return {TAG: tag, "items": payload}


#: ``encode_tagged(value)``: ``value`` as data ``json.dumps`` writes without loss, tagged as the
#: module docstring says; set items are sorted by their ``json.dumps(..., sort_keys=True)`` text.
#: Raises ``TypeError`` for a value the format cannot hold, ``ValueError`` for data nested too deeply.
encode_tagged = JsonTagger(sort_key=functools.partial(json.dumps, sort_keys=True))


def _tag_items(obj: dict[str, Any], tag: str) -> list[Any]:
    """The ``items`` list of a tagged object; ``ValueError`` if it is not a list."""
    items = obj.get("items")
    if not isinstance(items, list):
        raise ValueError(f"{tag} tag: 'items' must be a list, got {items!r:.80}")
    return items


def tag_text(obj: dict[str, Any], tag: str) -> str:
    """The ``value`` string of a tagged object; ``ValueError`` if it is not a string."""
    value = obj.get("value")
    if not isinstance(value, str):
        raise ValueError(f"{tag} tag: 'value' must be a string, got {value!r:.80}")
    return value


def _hashable(value: Any) -> Any:
    # Set items and map keys that were tuples come back from JSON as arrays.
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    return value


def _read_iso(parse: Callable[[str], Any], tag: str) -> TagReader:
    return lambda obj: parse(tag_text(obj, tag))


def _read_set(tag: str) -> TagReader:
    def read(obj: dict[str, Any]) -> Any:
        try:
            items = {_hashable(v) for v in _tag_items(obj, tag)}
        except TypeError as error:
            raise ValueError(f"{tag} tag: unhashable item: {error}") from None
        return frozenset(items) if tag == "frozenset" else items

    return read


def _read_bytes(obj: dict[str, Any]) -> bytes:
    try:
        return base64.b64decode(tag_text(obj, "bytes"), validate=True)
    except ValueError as error:
        raise ValueError(f"bytes tag: invalid base64: {error}") from None


def _read_map(obj: dict[str, Any]) -> dict[Any, Any]:
    out = {}
    for pair in _tag_items(obj, "map"):
        if not isinstance(pair, list) or len(pair) != 2:
            raise ValueError(f"map tag: each item must be a [key, value] pair, got {pair!r:.80}")
        try:
            out[_hashable(pair[0])] = pair[1]
        except TypeError as error:
            raise ValueError(f"map tag: unhashable key {pair[0]!r:.80}: {error}") from None
    return out


_READERS: dict[str, TagReader] = {
    "datetime": _read_iso(_dt.datetime.fromisoformat, "datetime"),
    "date": _read_iso(_dt.date.fromisoformat, "date"),
    "time": _read_iso(_dt.time.fromisoformat, "time"),
    "enum": lambda obj: enum_member(obj.get("class"), obj.get("value")),
    "tuple": lambda obj: tuple(_tag_items(obj, "tuple")),
    "set": _read_set("set"),
    "frozenset": _read_set("frozenset"),
    "bytes": _read_bytes,
    "map": _read_map,
}


class TagDecoder:
    """Decodes tagged objects: the tags of the module docstring, and ``extra`` ones.

    ``restore(value)`` gives decoded data (from a decoder without an object
    hook) with every tagged object in it decoded, innermost first.

    Args:
        extra: readers of tags a format adds, by tag; each gets the tagged object.
    """

    def __init__(self, extra: Mapping[str, TagReader] | None = None) -> None:
        self.readers = {**_READERS, **(extra or {})}
        self.restore = self._build_restore()

    def object_hook(self, obj: dict[str, Any]) -> Any:
        """``obj`` decoded if it is a tagged object, else ``obj`` (``json.loads``' ``object_hook``)."""
        return self.decode(obj) if TAG in obj else obj

    def decode(self, obj: dict[str, Any]) -> Any:
        """The value of the tagged object ``obj``, whose items are decoded already.

        Raises:
            ValueError: an unknown tag, or fields that do not fit it.
        """
        tag = obj[TAG]
        reader = self.readers.get(tag) if isinstance(tag, str) else None
        if reader is None:
            raise ValueError(f"unknown tag {TAG!r}: {tag!r:.80}")
        return reader(obj)

    def _build_restore(self) -> Callable[[Any], Any]:
        decode = self.decode
        limit = MAX_NESTING
        same = operator.is_
        nested = frozenset({dict, list})

        def restore(value: Any, depth: int = 0) -> Any:
            """``value`` with its tagged objects decoded, innermost first (copy-on-write)."""
            kind = type(value)
            if kind not in nested:
                return value
            if depth > limit:
                raise ValueError(f"JSON nested more than {limit} levels deep")
            if kind is list:
                items = [restore(item, depth + 1) if type(item) in nested else item for item in value]
                return value if all(map(same, items, value)) else items
            changed: dict[str, Any] | None = None
            for key, item in value.items():
                if type(item) not in nested:
                    continue
                restored = restore(item, depth + 1)
                if restored is not item:
                    changed = _changed(value, changed, key, restored)
            obj = value if changed is None else changed
            return decode(obj) if TAG in obj else obj

        return restore


_DECODER = TagDecoder()

#: ``decode_tagged(obj)``: the value of the tagged object ``obj`` (a dict whose items are decoded
#: already), or ``obj`` itself if it holds no :data:`TAG`: ``json.loads``' ``object_hook``.
#: Raises ``ValueError`` for a malformed tagged object.
decode_tagged: Callable[[dict[str, Any]], Any] = _DECODER.object_hook

#: ``restore_tagged(value)``: ``value`` (decoded JSON) with every tagged object in it decoded.
#: Raises ``ValueError`` for a malformed tagged object or data nested too deeply.
restore_tagged: Callable[[Any], Any] = _DECODER.restore
