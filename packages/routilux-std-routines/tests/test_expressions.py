"""The restricted evaluator: what it allows, what it refuses and how it says so."""

from __future__ import annotations

import pytest

from routilux_std_routines.expressions import Expression


@pytest.mark.parametrize(
    ("source", "data", "expected"),
    [
        ("data.get('value', 0) > config.get('threshold', 0)", {"value": 5}, True),
        ("isinstance(data, dict) and len(data) == 2", {"a": 1, "b": 2}, True),
        ("[x * 2 for x in data if x > 1]", [1, 2, 3], [4, 6]),
        ("data['k'] in ['a', 'b']", {"k": "b"}, True),
        ("stats == {}", None, True),
        ("hasattr(data, 'real') and getattr(data, 'imag') == 0", 3, True),
        ("str(data) + 'x'", 1, "1x"),
        ("int(data) + float('1.5')", "2", 3.5),
        ("bool(data) or list(dict(a=1)) == ['a']", 0, True),
    ],
)
def test_allowed(source, data, expected):
    assert Expression(source)(data, {"threshold": 3}) == expected


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("data +", "invalid syntax"),
        ("data.__class__", "'__class__' is not allowed"),
        ("data._private", "'_private' is not allowed"),
        ("__import__('os')", "unknown name '__import__'"),
        ("open('/etc/passwd')", "unknown name 'open'"),
        ("eval('1')", "unknown name 'eval'"),
        ("lambda: 1", "lambda expressions are not allowed"),
        ("(y := 1)", "assignment expressions"),
        ("import os", "invalid syntax"),
        ("threshold > 1", "unknown name 'threshold'"),
    ],
)
def test_invalid_expressions_raise_value_error_naming_them(source, reason):
    with pytest.raises(ValueError, match="Invalid expression") as info:
        Expression(source)
    assert repr(source) in str(info.value) and reason in str(info.value)


@pytest.mark.parametrize("name", ["'__class__'", "'_x'"])
def test_getattr_and_hasattr_refuse_private_names(name):
    with pytest.raises(ValueError, match="not allowed"):
        Expression(f"getattr(data, {name})")(1)
    with pytest.raises(ValueError, match="not allowed"):
        Expression(f"hasattr(data, {name})")(1)


def test_no_attribute_to_item_fallback():
    # data.key on a dict is an error, as in Python, not a hidden item lookup.
    with pytest.raises(Exception):
        Expression("data.key")({"key": 1})


def test_format_string_escape_is_refused():
    with pytest.raises(Exception):
        Expression("'{0.__class__}'.format(data)")(1)


def test_equality_and_repr():
    assert Expression("data") == Expression("data") and hash(Expression("data")) == hash(Expression("data"))
    assert repr(Expression("data > 1")) == "Expression('data > 1')"
    with pytest.raises(TypeError):
        Expression(42)
