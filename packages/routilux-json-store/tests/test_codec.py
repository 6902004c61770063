"""The json codec: round trips, determinism, bad input."""

from __future__ import annotations

import datetime as dt
import enum

import pytest

from routilux.testing import SerializerPluginContract
from routilux_json_store import dumps, loads


class TestJsonSerializerContract(SerializerPluginContract):
    plugin = "routilux_json_store.plugin"
    serializer = "json"


class Level(enum.Enum):
    LOW = 1
    HIGH = 2


def test_values_round_trip():
    value = {
        "when": dt.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=dt.timezone.utc),
        "day": dt.date(2024, 1, 2),
        "clock": dt.time(1, 2, 3),
        "level": Level.HIGH,
        "pair": (1, "a"),
        "tags": {"x", "y"},
        "blob": b"\x00\xff",
        "int_keys": {1: "one", 2: "two"},
        "__routilux__": "user data that looks like a tag",
        "text": '流れ 🚀 "quoted"\n',
        "nested": [{"__routilux__": {"deep": True}}],
    }
    restored = loads(dumps(value))
    assert restored == value
    assert restored["level"] is Level.HIGH
    assert isinstance(restored["pair"], tuple)


def test_output_is_deterministic_sorted_utf8():
    a = dumps({"b": 1, "a": {"z": 1, "y": 2}, "u": "é"})
    b = dumps({"u": "é", "a": {"y": 2, "z": 1}, "b": 1})
    assert a == b == '{"a":{"y":2,"z":1},"b":1,"u":"é"}'.encode()


def test_unknown_enum_class_restores_its_value():
    raw = b'{"__routilux__":"enum","class":"not_imported_module:Color","value":"red"}'
    assert loads(raw) == "red"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{",
        b'{"a": ',
        b"\xff\xfe",
        b'{"__routilux__": "datetime", "value": 5}',
        b'{"__routilux__": "martian"}',
        b'{"__routilux__": "map", "items": [[[1], 2, 3]]}',
        b"[" * 100_000,
    ],
)
def test_bad_input_raises_value_error(raw):
    with pytest.raises(ValueError):
        loads(raw)


def test_unencodable_value_raises_type_error():
    with pytest.raises(TypeError, match="object"):
        dumps({"x": object()})
