"""TimeProvider and DataFlattener driven by direct receive() calls (spec §16.4, §16.5)."""

from __future__ import annotations

import re
import time
from datetime import datetime

import pytest

from routilux_std_routines import DataFlattener, TimeProvider


def request_time(capture, payload=None, **config):
    return capture.deliver(TimeProvider(), payload or {}, slot="request", **config)


def test_time_provider_slot_is_request_on_trigger_slot():
    provider = TimeProvider()
    assert provider.trigger_slot.name == "request" and provider.get_slot("request") is provider.trigger_slot


def test_time_provider_iso_default(capture):
    before = time.time()
    out = request_time(capture)
    assert isinstance(out["timestamp"], float) and before <= out["timestamp"] <= time.time()
    assert datetime.fromisoformat(out["time_string"]) == datetime.fromisoformat(out["datetime"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", out["formatted"])


def test_time_provider_formats(capture):
    assert "年" in request_time(capture, format="formatted")["time_string"]
    assert "星期" in request_time(capture, format="formatted")["time_string"]
    english = request_time(capture, format="formatted", locale="en_US")["time_string"]
    assert re.fullmatch(r"[A-Z][a-z]+, [A-Z][a-z]+ \d{2}, \d{4} \d{2}:\d{2}:\d{2}", english)
    plain = request_time(capture, format="formatted", include_weekday=False)["time_string"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", plain)
    custom = request_time(capture, format="custom", custom_format="%Y-%m-%d")["time_string"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", custom)
    assert float(request_time(capture, format="timestamp")["time_string"]) > 0
    datetime.fromisoformat(request_time(capture, format="no-such-format")["time_string"])


def test_time_provider_format_override_from_payload(capture):
    assert "年" in request_time(capture, {"format": "formatted"})["time_string"]
    custom = request_time(capture, {"data": {"format": "custom"}}, custom_format="%Y")["time_string"]
    assert re.fullmatch(r"\d{4}", custom)


def flatten(capture, value, **config):
    return capture.deliver(DataFlattener(), {"data": value}, **config)


def test_flattener_nested_dicts_and_lists(capture):
    assert flatten(capture, {"a": {"b": 1, "c": 2}})["flattened_data"] == {"a.b": 1, "a.c": 2}
    assert flatten(capture, {"items": [1, 2, 3]})["flattened_data"] == {
        "items.0": 1,
        "items.1": 2,
        "items.2": 3,
    }
    assert "a.b.c.d" in flatten(capture, {"a": {"b": {"c": {"d": 1}}}})["flattened_data"]
    assert flatten(capture, [{"x": 1}])["flattened_data"] == {"0.x": 1}


def test_flattener_primitive_becomes_value(capture):
    out = flatten(capture, 42)
    assert out == {"flattened_data": {"value": 42}, "original_type": "int", "depth": 0}


def test_flattener_separator_depth_and_type(capture):
    assert flatten(capture, {"a": {"b": 1}}, separator="_")["flattened_data"] == {"a_b": 1}
    out = flatten(capture, {"a": {"b": 1, "c": [2, 3]}})
    assert out["depth"] == 3 and out["original_type"] == "dict"


def test_flattener_without_preserving_lists(capture):
    assert flatten(capture, {"l": [1, 2]}, preserve_lists=False)["flattened_data"] == {"l": 2}


def test_flattener_max_depth_stringifies(capture):
    assert flatten(capture, {"a": {"b": {"c": 1}}}, max_depth=2)["flattened_data"] == {"a.b": "{'c': 1}"}


def test_flattener_empty_containers_and_cycles(capture):
    assert flatten(capture, {"a": {}, "b": [], "c": 1})["flattened_data"] == {"c": 1}
    data = {"x": 1}
    data["me"] = data
    assert flatten(capture, data)["flattened_data"] == {"x": 1, "me": "[Circular Reference]"}


def test_flattener_uses_serialize_of_objects(capture):
    class Thing:
        def serialize(self):
            return {"kind": "thing", "n": 2}

    assert flatten(capture, {"t": Thing()})["flattened_data"] == {"t.kind": "thing", "t.n": 2}


@pytest.mark.parametrize("value", ["text", 1.5, None, True])
def test_flattener_primitives(value):
    assert DataFlattener().flatten(value)[0] == {"value": value}
