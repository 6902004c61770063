"""DataFlattener driven by direct receive() calls (spec §16.5)."""

from __future__ import annotations

import pytest

from routilux_std_routines import DataFlattener


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
