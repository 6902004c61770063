"""The ``msgpack`` format: MessagePack written and read by msgspec.

Maps with string keys, arrays, strings, integers, floats, booleans, nil and
``bytes`` (MessagePack's bin type) are MessagePack's own types. Every tag of
the tagged-value format (:mod:`routilux.serialization.tagged`, which the
``json`` codec writes) is a MessagePack extension type,
whose payload is given below; "packed" means a MessagePack value of this same
format, so extension types nest:

====  ===========  ===============================================================
code  tag          payload
====  ===========  ===============================================================
1     datetime     ISO 8601 text (ASCII), timezone offset kept
2     date         ISO 8601 text
3     time         ISO 8601 text, timezone offset kept
4     enum         packed ``[<"module:Qualname" of the enum>, <value>]``
5     tuple        packed array of the items
6     set          packed array of the items (sorted by their packed bytes)
7     frozenset    packed array of the items (sorted by their packed bytes)
8     map          packed flat array ``[k1, v1, k2, v2, ...]`` (a dict with a
                   key that is not a string)
9     int          big-endian two's complement bytes of an integer outside
                   MessagePack's 64-bit range
====  ===========  ===============================================================

Map keys are sorted, so equal data gives equal bytes. Reading never imports
or runs anything a file names (an enum comes back as its member only if its
class is already imported, else as its value); malformed input raises
``ValueError``.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import Any

import msgspec

from routilux.serialization import Tagger, enum_member
from routilux_msgspec.job_codec import MsgspecJobCodec

__all__ = ["EXTENSION_CODES", "JOB_CODEC", "dumps", "loads"]

#: The MessagePack extension type code of each tag.
EXTENSION_CODES: dict[str, int] = {
    "datetime": 1,
    "date": 2,
    "time": 3,
    "enum": 4,
    "tuple": 5,
    "set": 6,
    "frozenset": 7,
    "map": 8,
    "int": 9,
}
_TAGS = {code: tag for tag, code in EXTENSION_CODES.items()}
_TEXT_TAGS = frozenset({"datetime", "date", "time"})

# MessagePack integers: int64 and uint64.
_INT_MIN = -(2**63)
_INT_MAX = 2**64 - 1


class _MsgpackTagger(Tagger):
    plain = Tagger.plain | {bytes}
    format_name = "MessagePack"

    def __init__(self, pack: Callable[[Any], bytes]) -> None:
        super().__init__(sort_key=pack)
        self.pack = pack

    def tag(self, tag: str, payload: Any) -> Any:
        if tag == "bytes":
            return payload
        if tag in _TEXT_TAGS:
            return msgspec.msgpack.Ext(EXTENSION_CODES[tag], payload.encode("ascii"))
        if tag == "map":
            payload = [part for pair in payload for part in pair]
        return msgspec.msgpack.Ext(EXTENSION_CODES[tag], self.pack(payload))


class _BigIntTagger(_MsgpackTagger):
    """Also checks every int: used only after msgspec refused an int out of its range."""

    plain = _MsgpackTagger.plain - {int}

    def special(self, value: Any, depth: int) -> Any:
        if type(value) is int:
            if _INT_MIN <= value <= _INT_MAX:
                return value
            size = (value.bit_length() + 8) // 8  # room for the sign bit
            return msgspec.msgpack.Ext(EXTENSION_CODES["int"], value.to_bytes(size, "big", signed=True))
        return super().special(value, depth)


_encoder = msgspec.msgpack.Encoder(order="deterministic")
_tagger = _MsgpackTagger(_encoder.encode)
_big_int_tagger = _BigIntTagger(_encoder.encode)


def dumps(obj: Any) -> bytes:
    """``obj`` as MessagePack bytes. ``TypeError`` for a value the format cannot hold,
    ``ValueError`` for data nested more than 500 levels deep."""
    try:
        try:
            return _encoder.encode(_tagger(obj))
        except OverflowError:
            # Integers are not range-checked on the common path: msgspec does it, in C.
            return _encoder.encode(_big_int_tagger(obj))
    except RecursionError:
        raise ValueError("cannot encode: data nested too deeply") from None


def _items(payload: Any, tag: str) -> list[Any]:
    if not isinstance(payload, list):
        raise ValueError(f"MessagePack extension {tag!r}: expected an array, got {payload!r:.80}")
    return payload


def _hashable_items(items: list[Any], tag: str) -> Any:
    try:
        return frozenset(items) if tag == "frozenset" else set(items)
    except TypeError as error:
        raise ValueError(f"MessagePack extension {tag!r}: unhashable item: {error}") from None


def _ext_hook(code: int, data: memoryview) -> Any:
    tag = _TAGS.get(code)
    if tag is None:
        raise ValueError(f"unknown MessagePack extension type {code}; this format uses "
                         f"{sorted(_TAGS)} ({', '.join(EXTENSION_CODES)})")
    if tag in _TEXT_TAGS:
        text = bytes(data).decode("ascii")
        if tag == "datetime":
            return _dt.datetime.fromisoformat(text)
        if tag == "date":
            return _dt.date.fromisoformat(text)
        return _dt.time.fromisoformat(text)
    if tag == "int":
        return int.from_bytes(data, "big", signed=True)
    payload = _decoder.decode(data)
    if tag == "tuple":
        return tuple(_items(payload, tag))
    if tag in ("set", "frozenset"):
        return _hashable_items(_items(payload, tag), tag)
    if tag == "enum":
        if not isinstance(payload, list) or len(payload) != 2:
            raise ValueError(f"MessagePack extension 'enum': expected [class, value], got {payload!r:.80}")
        return enum_member(payload[0], payload[1])
    flat = _items(payload, tag)
    if len(flat) % 2:
        raise ValueError(f"MessagePack extension 'map': odd number of keys and values ({len(flat)})")
    try:
        return dict(zip(flat[::2], flat[1::2]))
    except TypeError as error:
        raise ValueError(f"MessagePack extension 'map': unhashable key: {error}") from None


_decoder = msgspec.msgpack.Decoder(ext_hook=_ext_hook)

#: ``JobState.save``/``load``'s fast path for this format (registered by the plugin).
JOB_CODEC = MsgspecJobCodec(
    msgspec.msgpack.Encoder(order="deterministic"),
    lambda kind: msgspec.msgpack.Decoder(kind, ext_hook=_ext_hook),
    _tagger,
    frozenset(_MsgpackTagger.plain),
)


def loads(data: bytes) -> Any:
    """The value :func:`dumps` wrote. ``ValueError`` for anything that is not such MessagePack."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"loads() takes bytes, got {type(data).__name__}")
    try:
        return _decoder.decode(data)
    except RecursionError:
        raise ValueError("MessagePack data nested too deeply") from None
