"""Callable references (spec §14.4) and the class registry (spec §14.3)."""

from __future__ import annotations

import os
import shutil

import pytest

from routilux import Routine, register_serializable
from routilux.job_state import register_serializable as register_from_job_state
from routilux.serialization import ObjectRegistry, deserialize_callable, resolve_class, serialize_callable


def module_function(data=None):
    return data


class CallableOwner(Routine):
    def __init__(self):
        super().__init__()
        self.define_slot("input", handler=self._handle_input)

    def _handle_input(self, data=None):
        return ("handled", data)

    def __call__(self, **kwargs):  # dunder: never restorable
        return None


def test_register_serializable_is_exported_from_both_places():
    assert register_serializable is register_from_job_state


def test_function_round_trip():
    ref = serialize_callable(module_function)
    assert ref["_type"] == "callable" and ref["callable_type"] == "function"
    assert ref["module"] == __name__ and ref["name"] == "module_function"
    assert deserialize_callable(ref) is module_function


def test_lambdas_and_local_functions_restore_as_none():
    def local(data=None):
        return data

    for fn in (lambda data: data, local):
        ref = serialize_callable(fn)
        assert ref is not None and ref["callable_type"] == "function"
        assert deserialize_callable(ref) is None


def test_method_round_trip_against_owner_and_registry():
    owner = CallableOwner()
    ref = serialize_callable(owner._handle_input, owner=owner)
    assert ref == {
        "_type": "callable",
        "callable_type": "method",
        "class_name": "CallableOwner",
        "method_name": "_handle_input",
        "object_id": owner._id,
    }
    assert deserialize_callable(ref) is None  # no registry, no owner
    other = CallableOwner()
    restored = deserialize_callable(ref, ObjectRegistry({owner._id: other}))
    assert restored.__self__ is other and restored("x") == ("handled", "x")
    assert deserialize_callable(ref, owner=owner).__self__ is owner


def test_method_of_another_object_is_refused():
    owner, other = CallableOwner(), CallableOwner()
    with pytest.raises(ValueError, match="Cannot serialize method"):
        serialize_callable(other._handle_input, owner=owner)


def test_builtins_restore_only_from_the_allowlist():
    assert serialize_callable(len) == {"_type": "callable", "callable_type": "builtin", "name": "len"}
    assert deserialize_callable(serialize_callable(len)) is len
    for name in ("eval", "exec", "open", "__import__", "getattr", "compile"):
        assert deserialize_callable({"_type": "callable", "callable_type": "builtin", "name": name}) is None


def test_dangerous_references_never_resolve():
    refs = [
        {"_type": "callable", "callable_type": "function", "module": "os", "name": "system"},
        {"_type": "callable", "callable_type": "function", "module": "shutil", "name": "rmtree"},
        {"_type": "callable", "callable_type": "function", "module": "subprocess", "name": "run"},
        {
            "_type": "callable",
            "callable_type": "function",
            "module": "routilux.serialization.files",
            "name": "atomic_write_bytes",
        },
        # Not imported: importing it would run its code.
        {
            "_type": "callable",
            "callable_type": "function",
            "module": "antigravity_never_imported",
            "name": "x",
        },
        # A re-export is not a function defined in that module.
        {"_type": "callable", "callable_type": "function", "module": __name__, "name": "shutil_rmtree"},
    ]
    for ref in refs:
        assert deserialize_callable(ref) is None, ref


shutil_rmtree = shutil.rmtree  # re-exported on purpose for the test above


def test_method_references_cannot_reach_framework_methods_dunders_or_attributes():
    owner = CallableOwner()
    owner.sneaky = os.system
    registry = ObjectRegistry({owner._id: owner})
    for method in ("emit", "set_config", "deserialize", "__call__", "__init__", "sneaky"):
        ref = {
            "_type": "callable",
            "callable_type": "method",
            "class_name": "CallableOwner",
            "method_name": method,
            "object_id": owner._id,
        }
        assert deserialize_callable(ref, registry) is None, method
    wrong_class = {
        "_type": "callable",
        "callable_type": "method",
        "class_name": "Other",
        "method_name": "_handle_input",
        "object_id": owner._id,
    }
    assert deserialize_callable(wrong_class, registry) is None


def test_malformed_references_raise_with_field_and_value():
    with pytest.raises(TypeError, match="'module'.*42"):
        deserialize_callable({"_type": "callable", "callable_type": "function", "module": 42, "name": "f"})
    with pytest.raises(TypeError, match="callable reference dict"):
        deserialize_callable(17)
    with pytest.raises(ValueError, match="'_type'.*'banana'"):
        deserialize_callable({"_type": "banana"})
    assert deserialize_callable({"_type": "lambda_expression", "expression": "__import__('os')"}) is None
    assert deserialize_callable({"_type": "callable", "callable_type": "martian"}) is None


def test_resolve_class_order_and_errors():
    assert resolve_class("Routine", Routine) is Routine

    @register_serializable
    class ResolveMeRoutine(Routine):
        pass

    assert resolve_class("ResolveMeRoutine", Routine) is ResolveMeRoutine
    with pytest.raises(ValueError, match="class not found in registry: 'NopeRoutine'"):
        resolve_class("NopeRoutine", Routine)
    with pytest.raises(TypeError, match="not a Routine"):
        resolve_class("JobState", Routine)
    with pytest.raises(TypeError, match="'_type'"):
        resolve_class(["Routine"], Routine)


def test_plugin_routine_types_resolve(tmp_path):
    from routilux.plugins.hookspecs import hookimpl
    from routilux.plugins.specs import RoutineSpec
    from routilux.testing import FakeEntryPoint, make_registry, use_registry

    class PluginProvidedRoutine(Routine):
        pass

    class Plugin:
        @hookimpl
        def routilux_register_routines(self):
            return [RoutineSpec(name="PluginProvidedRoutine", cls=PluginProvidedRoutine)]

    with use_registry(make_registry(entry_points=[FakeEntryPoint("routines", Plugin())])):
        assert resolve_class("PluginProvidedRoutine", Routine) is PluginProvidedRoutine
    with pytest.raises(ValueError, match="class not found in registry"):
        resolve_class("PluginProvidedRoutine", Routine)
