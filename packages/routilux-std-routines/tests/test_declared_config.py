"""What each routine declares it takes: ``config_keys``, and DataTransformer's ``transformation_names``."""

from __future__ import annotations

import pytest

import routilux_std_routines
from routilux import Routine
from routilux_std_routines import DataTransformer

EXPORTED = [getattr(routilux_std_routines, name) for name in routilux_std_routines.__all__]
ROUTINE_CLASSES = [obj for obj in EXPORTED if isinstance(obj, type) and issubclass(obj, Routine)]


@pytest.mark.parametrize("cls", ROUTINE_CLASSES, ids=lambda cls: cls.__name__)
def test_config_keys_are_the_keys_a_fresh_routine_has(cls):
    # The defaults set in __init__ are the whole config a routine reads: the declaration must
    # name exactly those, or validation would refuse a real key or let a dead one through.
    assert isinstance(cls.config_keys, frozenset)
    assert cls.config_keys == set(cls().config())


def test_every_routine_of_the_package_is_checked():
    assert {cls.__name__ for cls in ROUTINE_CLASSES} >= {
        "TextClipper", "TextRenderer", "ResultExtractor", "TimeProvider", "DataFlattener",
        "DataTransformer", "DataValidator", "ConditionalRouter", "DataAggregator", "DataBatcher",
        "DataFilter", "RateLimiter",
    }


def test_transformation_names_are_the_builtins_and_the_registered_ones():
    transformer = DataTransformer()
    assert transformer.transformation_names == {
        "lowercase", "uppercase", "strip_whitespace", "to_string", "to_int", "to_float", "remove_none",
    }
    transformer.register_transformation("reverse", lambda value: value[::-1])
    assert "reverse" in transformer.transformation_names
    assert "reverse" not in DataTransformer().transformation_names


def test_transformation_names_ignore_a_map_that_is_not_one():
    transformer = DataTransformer()
    transformer.set_config(transformation_map=["not", "a", "mapping"])
    assert "uppercase" in transformer.transformation_names
