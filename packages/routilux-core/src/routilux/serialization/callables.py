"""Callable references: how handlers, merge strategies and config callables are stored.

Wire forms (the field names of the routilux 0.10 format):

* a method of a routine -> ``{"_type": "callable", "callable_type": "method", "class_name",
  "method_name", "object_id"}``; restored on the object registered under ``object_id``
  (during ``Flow.deserialize`` that is the *new* routine that had that ``_id``);
* a module-level function -> ``{"_type": "callable", "callable_type": "function", "module",
  "name", "qualname"}``;
* a builtin function -> ``{"_type": "callable", "callable_type": "builtin", "name"}``.

Restoring never evaluates or executes anything named in the data, and never
imports a module. The policy, since a restored handler is later *called with
data from the flow*:

* functions come only from modules that are **already imported** (import the
  module that defines your routines and handlers before loading: you need it
  for the routine classes anyway). Importing a module named in a file would run
  that module's top-level code.
* not from the standard library nor from routilux itself: ``subprocess.run`` or
  ``shutil.rmtree`` as a "handler" would turn a flow file into a command;
* the object found must be a plain Python function *defined in* that module
  (re-exports such as ``from os import system`` do not count), not a lambda or a
  local function;
* builtins only from a small allowlist of pure functions (``len``, ``sorted``, ...;
  never ``eval``, ``exec``, ``open``, ``getattr``, ``__import__``);
* methods only of the routine being restored, defined by its class (not by
  routilux's base classes, not an instance attribute), never dunder methods.

Anything else restores as ``None``, silently for lambdas and local functions
(the 0.10 behaviour; the std-routines package restores lambda *expressions*
itself, with its own restricted evaluator), with a ``logging`` debug message
otherwise. Malformed references (wrong field types) raise ``TypeError``.
"""

from __future__ import annotations

import builtins
import inspect
import logging
import sys
import types
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["SAFE_BUILTINS", "deserialize_callable", "serialize_callable"]

logger = logging.getLogger("routilux.serialization")

#: Builtin functions a reference may name. All are pure: none reads or writes
#: files, imports, evaluates code or reaches into objects' attributes by name.
SAFE_BUILTINS = frozenset(
    {
        "abs",
        "all",
        "any",
        "ascii",
        "bin",
        "callable",
        "chr",
        "divmod",
        "format",
        "hash",
        "hex",
        "isinstance",
        "issubclass",
        "len",
        "max",
        "min",
        "oct",
        "ord",
        "pow",
        "print",
        "repr",
        "round",
        "sorted",
        "sum",
    }
)

# Top-level packages whose functions are never restored from data (see the module docstring).
_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ())) | {"builtins"}
_FRAMEWORK = "routilux"


def serialize_callable(fn: Any, owner: Any = None) -> dict[str, Any] | None:
    """The reference dict for ``fn``, or None when it cannot be described.

    A bound method is described by its object's ``_id``; with ``owner`` given,
    only methods of ``owner`` are accepted (``ValueError`` "Cannot serialize
    method ..." otherwise). Lambdas and local functions are described too, but
    restore as None.
    """
    if fn is None:
        return None
    if isinstance(fn, types.MethodType):
        target = fn.__self__
        if owner is not None and target is not owner:
            # Objects are named by type and _id: their __repr__ is user code, which may raise.
            raise ValueError(
                f"Cannot serialize method {fn.__qualname__}: it is bound to {_describe(target)}, not to "
                f"the owner {_describe(owner)}; only methods of the object being serialized can be referenced"
            )
        if isinstance(target, type):
            return None  # a classmethod: no instance to find it on again
        object_id = getattr(target, "_id", None)
        if owner is None and not isinstance(object_id, str):
            return None
        return {
            "_type": "callable",
            "callable_type": "method",
            "class_name": type(target).__name__,
            "method_name": fn.__func__.__name__,
            "object_id": object_id,
        }
    if isinstance(fn, types.BuiltinFunctionType):
        if getattr(fn, "__self__", None) is builtins or getattr(fn, "__module__", None) == "builtins":
            return {"_type": "callable", "callable_type": "builtin", "name": fn.__name__}
        return None
    if isinstance(fn, types.FunctionType):
        return {
            "_type": "callable",
            "callable_type": "function",
            "module": fn.__module__,
            "name": fn.__name__,
            "qualname": fn.__qualname__,
        }
    return None


def _describe(obj: Any) -> str:
    """``obj`` for a message by its type and ``_id``, read without running any of its code."""
    try:
        object_id = object.__getattribute__(obj, "__dict__").get("_id")
    except AttributeError:  # no instance dict (__slots__)
        object_id = None
    name = type(obj).__qualname__
    return f"{name} (_id {object_id!r})" if type(object_id) is str else f"a {name} object"


class _Lookup:
    """What a method reference can be resolved against: an object registry and/or an owner."""

    def __init__(self, registry: Any, owner: Any) -> None:
        self.registry = registry
        self.owner = owner

    def find(self, object_id: str) -> Any:
        registry = self.registry
        if registry is not None:
            found = registry.get(object_id)
            if found is not None:
                return found
        owner = self.owner
        if owner is not None and getattr(owner, "_id", None) == object_id:
            return owner
        return None


def _text(ref: Mapping[str, Any], key: str, what: str, *, required: bool = True) -> str | None:
    value = ref.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{what}: field {key!r} of a callable reference must be a string, got {value!r}")
    return value


def deserialize_callable(
    data: Any, registry: Any = None, owner: Any = None, *, what: str = "callable"
) -> Callable[..., Any] | None:
    """The callable ``data`` refers to, or None when it cannot (or may not) be restored.

    ``registry`` maps object ids to objects (anything with ``get(id)``, e.g. an
    :class:`~routilux.serialization.ObjectRegistry`); ``owner`` is the object
    being restored, used for method references to its own ``_id``. Without
    either, method references restore as None. ``what`` names the field in
    error messages.
    """
    if data is None:
        return None
    if not isinstance(data, Mapping):
        raise TypeError(
            f"{what}: expected a callable reference dict or None, got {type(data).__name__} {data!r:.80}"
        )
    kind = data.get("_type")
    if kind == "lambda_expression":
        logger.debug("%s: lambda expressions are not restored by core; restored as None", what)
        return None
    if kind != "callable":
        raise ValueError(
            f"{what}: field '_type' of a callable reference must be 'callable', got {kind!r:.80}"
        )
    callable_type = data.get("callable_type")
    if callable_type == "function":
        return _function(data, what)
    if callable_type == "method":
        return _method(data, _Lookup(registry, owner), what)
    if callable_type == "builtin":
        name = _text(data, "name", what)
        if name in SAFE_BUILTINS:
            return getattr(builtins, name)  # type: ignore[no-any-return]
        logger.warning(
            "%s: builtin %r is not in the allowlist of restorable builtins; restored as None", what, name
        )
        return None
    logger.warning("%s: unknown callable_type %r; restored as None", what, callable_type)
    return None


def _function(ref: Mapping[str, Any], what: str) -> Callable[..., Any] | None:
    module_name = _text(ref, "module", what)
    name = _text(ref, "name", what)
    qualname = _text(ref, "qualname", what, required=False) or name
    assert module_name is not None and name is not None and qualname is not None
    if "<" in qualname or name == "<lambda>":
        return None  # a lambda or local function: not restorable by reference (0.10 behaviour)
    top = module_name.partition(".")[0]
    if top in _STDLIB or top == _FRAMEWORK:
        logger.warning("%s: functions of %r are not restored from data; restored as None", what, module_name)
        return None
    module = sys.modules.get(module_name)
    if module is None:
        logger.warning(
            "%s: module %r is not imported; import it before loading to restore %s (restored as None)",
            what,
            module_name,
            qualname,
        )
        return None
    found = getattr(module, name, None) if qualname == name else None
    if (
        not isinstance(found, types.FunctionType)
        or found.__module__ != module_name
        or found.__qualname__ != qualname
    ):
        logger.warning(
            "%s: %s.%s is not a function defined there; restored as None", what, module_name, qualname
        )
        return None
    return found


def _method(ref: Mapping[str, Any], lookup: _Lookup, what: str) -> Callable[..., Any] | None:
    class_name = _text(ref, "class_name", what)
    method_name = _text(ref, "method_name", what)
    object_id = ref.get("object_id")
    if object_id is not None and not isinstance(object_id, str):
        raise TypeError(
            f"{what}: field 'object_id' of a callable reference must be a string, got {object_id!r:.80}"
        )
    assert method_name is not None
    target = lookup.find(object_id) if object_id is not None else None
    if target is None or type(target).__name__ != class_name:
        return None
    if method_name.startswith("__"):
        return None
    defined_by = next((klass for klass in type(target).__mro__ if method_name in vars(klass)), None)
    if defined_by is None or defined_by is object or defined_by.__module__.partition(".")[0] == _FRAMEWORK:
        return None
    bound = getattr(target, method_name, None)
    if not inspect.ismethod(bound) or bound.__self__ is not target:
        return None
    return bound
