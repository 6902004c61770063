"""DataFilter driven directly."""

from __future__ import annotations

import json

import pytest

from routilux_std_routines import DataFilter


def filtered(capture, predicate, payloads):
    data_filter = DataFilter()
    data_filter.set_config(predicate=predicate, minimum=2)
    passed, rejected = capture(data_filter), capture(data_filter, "rejected")
    for payload in payloads:
        data_filter.input_slot.receive(payload)
    return passed.items, rejected.items


def test_filter_with_expression_callable_and_dict(capture):
    payloads = [{"data": {"n": 1}}, {"data": {"n": 3}, "extra": "kept"}]
    for predicate in (
        "data['n'] >= config['minimum']",
        lambda d, config: d["n"] >= config["minimum"],
        {"n": 3},
    ):
        passed, rejected = filtered(capture, predicate, payloads)
        assert passed == [{"data": {"n": 3}, "extra": "kept"}]
        assert rejected == [{"data": {"n": 1}}]


def test_filter_reports_predicate_errors(capture):
    passed, rejected = filtered(capture, "data['n'] > 1", [{"data": "text"}])
    [payload] = rejected
    assert passed == [] and payload["data"] == "text"
    assert payload["filter_error"].startswith("TypeError: string indices must be integers")


def test_filter_checks_predicate_when_set():
    with pytest.raises(ValueError, match="DataFilter predicate is invalid: Invalid expression 'data ==='"):
        DataFilter().set_config(predicate="data ===")


def test_filter_serializes_its_predicate():
    data_filter = DataFilter()
    data_filter.set_config(predicate=lambda x: x > 2)
    data = json.loads(json.dumps(data_filter.serialize()))
    assert data["_config"]["predicate"] == {"_type": "lambda_expression", "expression": "data > 2"}
    restored = DataFilter()
    restored.deserialize(data)
    assert restored.get_config("predicate")(3) is True
