"""DataTransformer and DataValidator driven by direct receive() calls (spec §16.6, §16.7)."""

from __future__ import annotations

import json

from routilux_std_routines import DataTransformer, DataValidator


def transform(capture, payload, transformer=None):
    transformer = transformer or DataTransformer()
    out = capture(transformer)
    transformer.input_slot.receive(payload)
    return out.last


def test_transformer_builtins(capture):
    out = transform(capture, {"data": "HELLO", "transformations": ["lowercase"]})
    assert out == {"transformed_data": "hello", "transformation_applied": ["lowercase"], "errors": None}
    out = transform(capture, {"data": "  HELLO  ", "transformations": ["lowercase", "strip_whitespace"]})
    assert out["transformed_data"] == "hello"
    assert transform(capture, {"data": "3", "transformations": ["to_int"]})["transformed_data"] == 3
    assert (
        transform(capture, {"data": 2, "transformations": ["to_float", "to_string"]})["transformed_data"]
        == "2.0"
    )
    assert transform(capture, {"data": {"a": None, "b": 1}, "transformations": ["remove_none"]})[
        "transformed_data"
    ] == {"b": 1}
    assert transform(capture, {"data": [1], "transformations": ["uppercase", "to_int"]})[
        "transformed_data"
    ] == [1]


def test_transformer_custom_and_callable(capture):
    transformer = DataTransformer()

    def double(x):
        return x * 2

    transformer.register_transformation("double", double)
    assert (
        transform(capture, {"data": 5, "transformations": ["double"]}, transformer)["transformed_data"] == 10
    )
    out = transform(capture, {"data": 5, "transformations": [double, lambda x: x + 1]})
    assert out["transformed_data"] == 11 and out["transformation_applied"] == ["double", "<lambda>"]


def test_transformer_errors(capture):
    out = transform(capture, {"data": "not_a_number", "transformations": ["to_int"]})
    assert out["errors"] is not None and out["errors"][0].startswith("Error applying to_int:")
    assert out["transformed_data"] == "not_a_number" and out["transformation_applied"] == []
    out = transform(capture, {"data": 1, "transformations": ["nope", 42]})
    assert out["errors"] == ["Unknown transformation: nope", "Invalid transformation: 42"]


def test_transformer_uses_config_list(capture):
    transformer = DataTransformer()
    transformer.set_config(transformations=["uppercase"])
    assert transform(capture, {"data": "a"}, transformer)["transformed_data"] == "A"


def test_transformer_config_holds_no_builtin_functions():
    # Built-ins live outside _config so the config stays serializable (spec §18 item 14).
    transformer = DataTransformer()
    json.dumps(transformer._config)
    assert transformer.get_config("transformation_map") == {}


def validate(capture, payload, validator):
    valid, invalid = capture(validator, "valid"), capture(validator, "invalid")
    validator.input_slot.receive(payload)
    return valid.items, invalid.items


def test_validator_valid_data_goes_to_valid_only(capture):
    validator = DataValidator()
    validator.set_config(rules={"name": "is_string", "age": "is_int"}, required_fields=["name", "age"])
    valid, invalid = validate(capture, {"data": {"name": "Ann", "age": 3}}, validator)
    assert valid == [{"validated_data": {"name": "Ann", "age": 3}}] and invalid == []


def test_validator_invalid_data(capture):
    validator = DataValidator()
    validator.set_config(rules={"name": "not_empty", "age": "is_int"})
    valid, invalid = validate(capture, {"data": {"name": "", "age": "not_int"}}, validator)
    assert valid == [] and len(invalid) == 1
    assert invalid[0]["errors"] == ["Field 'name' failed validation", "Field 'age' failed validation"]
    assert invalid[0]["data"] == {"name": "", "age": "not_int"}


def test_validator_missing_required_field(capture):
    validator = DataValidator()
    validator.set_config(required_fields=["id"], allow_extra_fields=False)
    _, invalid = validate(capture, {"data": {"x": 1}}, validator)
    assert "missing" in invalid[0]["errors"][0]
    assert invalid[0]["errors"][1] == "Unexpected field 'x'"


def test_validator_strict_mode_stops_at_first_error(capture):
    validator = DataValidator()
    validator.set_config(rules={"a": "is_int", "b": "is_int"}, strict_mode=True)
    _, invalid = validate(capture, {"data": {"a": "x", "b": "y"}}, validator)
    assert len(invalid[0]["errors"]) == 1


def test_validator_callables_messages_and_errors(capture):
    validator = DataValidator()

    def raises(value):
        raise KeyError("k")

    validator.set_config(
        rules={
            "a": lambda v: (v > 0, "a must be positive"),
            "b": raises,
            "c": "unknown",
            "d": 3,
            "e": lambda v: v,
        }
    )
    _, invalid = validate(capture, {"data": {"a": -1, "b": 1, "c": 1, "d": 1, "e": "truthy"}}, validator)
    assert invalid[0]["errors"] == [
        "a must be positive",
        "Validation error for field 'b': 'k'",
        "Unknown validator: unknown",
        "Invalid validator for field 'd'",
    ]


def test_validator_lists_and_scalars(capture):
    validator = DataValidator()
    validator.set_config(rules={"items": "is_positive", "value": "is_string"})
    _, invalid = validate(capture, {"data": [1, -2, 0]}, validator)
    assert invalid[0]["errors"] == [
        "Field 'items[1]' failed validation",
        "Field 'items[2]' failed validation",
    ]
    valid, _ = validate(capture, {"data": "text"}, validator)
    assert valid == [{"validated_data": "text"}]


def test_validator_register_validator_and_rules_argument(capture):
    validator = DataValidator()
    validator.register_validator("is_even", lambda v: v % 2 == 0)
    assert "is_even" in validator._builtin_validators and "is_even" not in validator.config()
    valid, invalid = validate(capture, {"data": {"n": 3}, "rules": {"n": "is_even"}}, validator)
    assert valid == [] and invalid[0]["errors"] == ["Field 'n' failed validation"]
