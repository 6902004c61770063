"""Both codecs: what round-trips, what is refused, bad input, and the msgpack layout."""

from __future__ import annotations

import collections
import datetime as dt
import decimal
import enum
import math

import msgspec
import pytest

from routilux.testing import SerializerPluginContract
from routilux_msgspec import json_codec, msgpack_codec


class TestMsgpackSerializerContract(SerializerPluginContract):
    plugin = "routilux_msgspec.plugin"
    serializer = "msgpack"


class TestMsgspecJsonSerializerContract(SerializerPluginContract):
    plugin = "routilux_msgspec.plugin"
    serializer = "msgspec-json"


class Level(enum.Enum):
    LOW = 1
    HIGH = 2


class Tone(str, enum.Enum):
    DARK = "dark"


class Size(enum.IntEnum):
    S = 1


class Text(str):
    def __str__(self) -> str:
        return "not the content"


class Count(int):
    pass


Pair = collections.namedtuple("Pair", "a b")

EVERY_KIND = {
    "aware": dt.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))),
    "naive": dt.datetime(2024, 1, 2, 3, 4, 5),
    "day": dt.date(2024, 1, 2),
    "clock": dt.time(1, 2, 3, 4),
    "clock_tz": dt.time(1, 2, tzinfo=dt.timezone.utc),
    "level": Level.HIGH,
    "tone": Tone.DARK,
    "size": Size.S,
    "pair": (1, "a", (2.5, None)),
    "empty_tuple": (),
    "tags": {"x", "y", (1, 2)},
    "frozen": frozenset({1, frozenset({2})}),
    "blob": b"\x00\xff",
    "int_keys": {1: "one", 2.5: "two and a half", None: "none", (1, "k"): "tuple", Level.LOW: "enum"},
    "mixed_keys": {"a": 1, 2: "b"},
    "__routilux__": "user data that looks like a tag",
    "tag_lookalike": {"__routilux__": "tuple", "items": [1, 2]},
    "big": 2**100,
    "small": -(2**90),
    "edges": [2**63 - 1, -(2**63), 2**64 - 1, 2**64, -(2**63) - 1],
    "floats": [0.1, -0.0, 1e308, 5e-324],
    "text": '流れ 🚀 "quoted"\n\x00\x1f\\u0041',
    "nested": [{"deep": [{"deeper": (Level.LOW, {b"k": "bytes key"})}]}],
    "empty": [{}, [], "", 0],
}


def test_every_kind_of_value_round_trips_with_its_type(codec, same):
    restored = codec.loads(codec.dumps(EVERY_KIND))

    same(restored, EVERY_KIND)
    assert restored["level"] is Level.HIGH and restored["tone"] is Tone.DARK and restored["size"] is Size.S
    assert restored["aware"].utcoffset() == dt.timedelta(hours=5, minutes=30)


def test_non_finite_floats_round_trip(codec):
    restored = codec.loads(codec.dumps([math.inf, -math.inf, math.nan, {"k": math.nan}]))

    assert restored[:2] == [math.inf, -math.inf]
    assert math.isnan(restored[2]) and math.isnan(restored[3]["k"])


def test_subclasses_are_written_as_their_base_types(codec, same):
    value = {
        "text": Text("content"),
        "count": Count(7),
        "ordered": collections.OrderedDict([("b", 1), ("a", 2)]),
        "counter": collections.Counter("aab"),
        "pair": Pair(1, 2),
        "buffer": bytearray(b"xy"),
    }

    same(codec.loads(codec.dumps(value)), {
        "text": "content",
        "count": 7,
        "ordered": {"b": 1, "a": 2},
        "counter": {"a": 2, "b": 1},
        "pair": (1, 2),
        "buffer": b"xy",
    })


def enum_payload(codec, path: str, value: object) -> bytes:
    """What ``codec`` writes for a member of the enum at ``path`` whose value is ``value``."""
    if codec is msgpack_codec:
        code = msgpack_codec.EXTENSION_CODES["enum"]
        return msgspec.msgpack.encode(msgspec.msgpack.Ext(code, msgspec.msgpack.encode([path, value])))
    return msgspec.json.encode({"__routilux__": "enum", "class": path, "value": value})


def test_enum_payload_matches_what_dumps_writes(codec):
    assert codec.dumps(Level.HIGH) == enum_payload(codec, f"{Level.__module__}:Level", 2)


def test_an_enum_is_its_member_only_if_its_class_is_imported_and_has_the_value(codec):
    here = Level.__module__

    assert codec.loads(enum_payload(codec, f"{here}:Level", 2)) is Level.HIGH
    assert codec.loads(enum_payload(codec, "module_never_imported:Level", 2)) == 2
    assert codec.loads(enum_payload(codec, f"{here}:Tone", 2)) == 2  # 2 is no Tone
    assert codec.loads(enum_payload(codec, f"{here}:Level.__class__", 2)) == 2  # no dunder walk
    assert codec.loads(enum_payload(codec, f"{here}:Pair", 2)) == 2  # not an enum


@pytest.mark.parametrize(
    "value",
    [object(), dt.timedelta(seconds=1), decimal.Decimal("1.5"), 1 + 2j, memoryview(b"x"), print,
     [{"k": Ellipsis}]],
    ids=["object", "timedelta", "Decimal", "complex", "memoryview", "function", "nested Ellipsis"],
)
def test_values_the_json_codec_refuses_are_refused(codec, value):
    with pytest.raises(TypeError, match="cannot encode"):
        codec.dumps(value)


def test_data_nested_too_deeply_is_refused(codec):
    value: list = []
    for _ in range(600):
        value = [value]

    with pytest.raises(ValueError, match="nested"):
        codec.dumps(value)


def test_output_is_deterministic(codec):
    one = {"b": 1, "a": {"y": 2, "x": {3, 1, 2}}, "c": frozenset({"q", "p"})}
    two = {"c": frozenset({"p", "q"}), "a": {"x": {2, 3, 1}, "y": 2}, "b": 1}

    assert codec.dumps(one) == codec.dumps(two)


def test_loads_takes_bytes_only(codec):
    for data in (bytearray(codec.dumps([1])), memoryview(codec.dumps([1]))):
        assert codec.loads(data) == [1]
    with pytest.raises(TypeError, match="takes bytes"):
        codec.loads(12)


@pytest.mark.parametrize("cut", [1, 5, 20])
def test_truncated_input_is_a_value_error(codec, cut):
    data = codec.dumps(EVERY_KIND)

    with pytest.raises(ValueError):
        codec.loads(data[:-cut])


def test_msgpack_layout_uses_extension_types_for_the_json_tags():
    assert set(msgpack_codec.EXTENSION_CODES) >= {
        "datetime", "date", "time", "enum", "tuple", "set", "frozenset", "map"
    }
    data = msgpack_codec.dumps([(1, 2), dt.date(2024, 1, 2), b"raw"])
    raw = msgspec.msgpack.decode(data)  # no ext_hook: the extensions show as they are

    codes = msgpack_codec.EXTENSION_CODES
    assert raw[0] == msgspec.msgpack.Ext(codes["tuple"], msgspec.msgpack.encode([1, 2]))
    assert raw[1] == msgspec.msgpack.Ext(codes["date"], b"2024-01-02")
    assert raw[2] == b"raw"  # MessagePack's own bin type


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (msgspec.msgpack.Ext(99, b""), "unknown MessagePack extension type 99"),
        (msgspec.msgpack.Ext(1, b"not a date"), "isoformat"),
        (msgspec.msgpack.Ext(5, msgspec.msgpack.encode("not an array")), "expected an array"),
        (msgspec.msgpack.Ext(6, msgspec.msgpack.encode([[1]])), "unhashable"),
        (msgspec.msgpack.Ext(8, msgspec.msgpack.encode([1, 2, 3])), "odd number"),
        (msgspec.msgpack.Ext(4, msgspec.msgpack.encode(["only the class"])), "expected \\[class, value\\]"),
        (msgspec.msgpack.Ext(4, msgspec.msgpack.encode([1, 2])), "must be a string"),
    ],
)
def test_malformed_msgpack_extensions_are_value_errors(payload, message):
    with pytest.raises(ValueError, match=message):
        msgpack_codec.loads(msgspec.msgpack.encode(payload))


def test_msgpack_refuses_text():
    with pytest.raises(TypeError, match="takes bytes"):
        msgpack_codec.loads("[1]")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"__routilux__": "nope"}', "unknown tag"),
        ('{"__routilux__": "tuple", "items": 3}', "'items' must be a list"),
        ('{"__routilux__": "bytes", "value": "***"}', "invalid base64"),
        ('{"__routilux__": "float", "value": "1.5"}', "float tag"),
        ('{"__routilux__": "map", "items": [[1]]}', "pair"),
        ('{"__routilux__": "datetime", "value": 5}', "must be a string"),
        ("[1,", "truncated"),
    ],
)
def test_malformed_json_is_a_value_error(text, message):
    with pytest.raises(ValueError, match=message):
        json_codec.loads(text.encode())


def test_json_decodes_a_tag_whose_key_is_written_with_escapes():
    # "\u005f" is "_": the text does not spell the tag key, yet it is one.
    assert json_codec.loads(b'{"\\u005f_routilux__": "tuple", "items": [1]}') == (1,)


def test_json_text_without_tags_is_returned_as_decoded():
    assert json_codec.loads('{"a": [1, {"b": null}]}') == {"a": [1, {"b": None}]}
