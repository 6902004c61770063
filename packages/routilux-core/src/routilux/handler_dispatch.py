"""Handler dispatch: decide once, when a handler is attached, how to call it.

The rules are those of the 0.10 API (a handler taking ``**kwargs`` gets the
data unpacked, a single ``data`` parameter gets the whole dict, a single other
parameter gets its key's value or the whole dict, several parameters get the
matching keys or else the whole dict). Inspecting a signature costs tens of
microseconds, so it happens here once per handler *function* (:func:`dispatch_shape`
caches the shape by code object: every instance of a routine class shares its
methods' code) and the returned callable is what runs per activation.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from types import FunctionType, MethodType
from typing import Any

__all__ = ["KWARGS", "MATCHING", "NONE", "SINGLE", "WHOLE", "Invoker", "dispatch_shape", "make_invoker"]

Invoker = Callable[[dict[str, Any]], Any]

#: The call shapes: no handler; ``handler(merged)``; ``handler(**merged)``; one named parameter
#: (``handler(merged[name])``, else the whole dict); several (the matching keys, else the whole dict).
NONE, WHOLE, KWARGS, SINGLE, MATCHING = "none", "whole", "kwargs", "single", "matching"

Shape = tuple[str, tuple[str, ...]]

# (code object, bound) -> shape. A code object fixes a function's parameter names and kinds, so
# every function made from it (each instance's bound method, each closure of a def) shares one
# entry. Bounded: a program that keeps compiling new handler code cannot grow it without limit.
_SHAPES: dict[tuple[Any, bool], Shape] = {}
_SHAPES_LIMIT = 4096


def _noop(merged: dict[str, Any]) -> None:
    return None


def _cache_key(handler: Callable[..., Any]) -> tuple[Any, bool] | None:
    """The shape's cache key for a plain function or a bound method of one, else None.

    Functions whose signature is set by hand (``__signature__``) or that wrap another
    (``__wrapped__``, as ``functools.wraps`` leaves) are inspected each time: their code
    object does not tell their signature.
    """
    bound = type(handler) is MethodType
    function = handler.__func__ if bound else handler  # type: ignore[attr-defined]
    if type(function) is not FunctionType:
        return None
    attributes = function.__dict__
    if attributes and ("__wrapped__" in attributes or "__signature__" in attributes):
        return None
    return function.__code__, bound


def _inspect_shape(handler: Callable[..., Any]) -> Shape:
    try:
        params = list(inspect.signature(handler).parameters.values())
    except (TypeError, ValueError):
        # Some builtins have no introspectable signature: pass the dict whole.
        return WHOLE, ()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return KWARGS, ()
    names = tuple(p.name for p in params)
    if len(names) == 1:
        return (WHOLE, ()) if names[0] == "data" else (SINGLE, names)
    return MATCHING, names


def dispatch_shape(handler: Callable[..., Any] | None) -> Shape:
    """``(kind, parameter names)``: how ``handler`` is called with a slot's merged data."""
    if handler is None:
        return NONE, ()
    key = _cache_key(handler)
    if key is None:
        return _inspect_shape(handler)
    shape = _SHAPES.get(key)
    if shape is None:
        shape = _inspect_shape(handler)
        if len(_SHAPES) >= _SHAPES_LIMIT:
            _SHAPES.clear()
        _SHAPES[key] = shape
    return shape


def make_invoker(handler: Callable[..., Any] | None) -> Invoker:
    """Return ``invoke(merged)`` calling ``handler`` with the 0.10 dispatch rules."""
    kind, names = dispatch_shape(handler)
    if handler is None or kind == NONE:
        return _noop
    if kind == WHOLE:
        return handler  # invoke(merged) is handler(merged): no wrapper to call per activation
    if kind == KWARGS:
        return lambda merged: handler(**merged)
    if kind == SINGLE:
        (only,) = names

        def invoke_single(merged: dict[str, Any]) -> Any:
            if only in merged:
                return handler(merged[only])
            return handler(merged)

        return invoke_single

    def invoke_matching(merged: dict[str, Any]) -> Any:
        # A loop, not a dict comprehension: in CPython 3.11 a comprehension is one more function
        # call, a third of this invoker's time.
        kwargs = {}
        for name in names:
            if name in merged:
                kwargs[name] = merged[name]
        if kwargs:
            return handler(**kwargs)
        return handler(merged)

    return invoke_matching
