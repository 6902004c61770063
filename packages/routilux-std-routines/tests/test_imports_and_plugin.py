"""The three import paths and the entry-point registration."""

from __future__ import annotations

import importlib
import subprocess
import sys
from importlib.metadata import entry_points

import pytest

import routilux_std_routines
from routilux.plugins import get_registry
from routilux.testing import RoutinePluginContract, make_registry

CATEGORIES = {
    "text_processing": ("TextClipper", "TextRenderer", "ResultExtractor"),
    "utils": ("TimeProvider", "DataFlattener"),
    "data_processing": ("DataTransformer", "DataValidator"),
    "control_flow": ("ConditionalRouter",),
}
NEW_ROUTINES = ("DataAggregator", "DataBatcher", "DataFilter", "RateLimiter")
ALL_ROUTINES = tuple(n for names in CATEGORIES.values() for n in names) + NEW_ROUTINES


needs_installed = pytest.mark.usefixtures("needs_installed")  # conftest.py


class TestStdRoutinesPlugin(RoutinePluginContract):
    plugin = "routilux_std_routines.plugin"
    routines = ALL_ROUTINES
    # The contract runs every routine in a flow; these three need more than an empty payload.
    flow_inputs = {
        "TimeProvider": {"slot": "request"},
        "DataBatcher": {"config": {"batch_size": 1}, "data": {"data": "x"}},
        "DataFilter": {"config": {"predicate": {"kind": "fruit"}}, "data": {"data": {"kind": "fruit"}}},
    }


def test_plugin_records_categories_and_descriptions():
    registry = make_registry("routilux_std_routines.plugin")
    for category, names in CATEGORIES.items():
        for name in names:
            spec = registry.get_routine(name)
            assert spec.category == category and spec.cls is getattr(routilux_std_routines, name)
            assert spec.description
    assert {registry.get_routine(n).category for n in NEW_ROUTINES} == {"flow_control"}


@needs_installed
def test_entry_point_is_declared():
    [ep] = [ep for ep in entry_points(group="routilux") if ep.name == "std-routines"]
    assert ep.value == "routilux_std_routines.plugin"


@needs_installed
@pytest.mark.parametrize(("category", "name"), [(c, n) for c, names in CATEGORIES.items() for n in names])
def test_three_import_paths_give_the_same_class(category, name):
    import routilux

    from_core = getattr(routilux, name)
    from_category = getattr(importlib.import_module(f"routilux.builtin_routines.{category}"), name)
    from_package = getattr(importlib.import_module(f"routilux_std_routines.{category}"), name)
    assert from_core is from_category is from_package is getattr(routilux_std_routines, name)
    assert get_registry().get_routine(name).cls is from_core


@needs_installed
def test_from_imports_in_a_fresh_interpreter():
    code = (
        "from routilux import TextClipper, ConditionalRouter\n"
        "from routilux.builtin_routines.text_processing import TextClipper as A\n"
        "from routilux.builtin_routines.control_flow import ConditionalRouter as B\n"
        "from routilux_std_routines.text_processing import TextClipper as C\n"
        "assert TextClipper is A is C and ConditionalRouter is B\n"
        "import routilux.builtin_routines.utils as u\n"
        "assert sorted(u.__all__) == ['DataFlattener', 'TimeProvider'] and 'TimeProvider' in dir(u)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@needs_installed
def test_registry_lists_every_routine_with_its_distribution():
    registry = get_registry()
    for name in ALL_ROUTINES:
        assert registry.get_routine(name).cls is getattr(routilux_std_routines, name)
    [record] = [r for r in registry.plugins if r.distribution == "routilux-std-routines"]
    assert record.status == "ok" and {f"routine:{n}" for n in ALL_ROUTINES} <= set(record.provides)


def test_unknown_names_are_attribute_errors():
    import routilux.builtin_routines.text_processing as text_processing

    with pytest.raises(AttributeError, match="NoSuchRoutine"):
        text_processing.NoSuchRoutine  # noqa: B018
