"""Conditions shared by ConditionalRouter and DataFilter: what they are and how they are evaluated.

A condition is one of

* a string, evaluated by the restricted evaluator of :mod:`.expressions`;
* a dict, matching when every key is present in the (dict) data with an equal
  value, or with a value for which the callable expected value is truthy;
* a callable, called with the data and, depending on its parameter names, the
  routine's config (see :func:`call_condition`).

How conditions are written to and read from flow files is
:mod:`routilux_std_routines.condition_serialization`.
"""

from __future__ import annotations

import functools
import inspect
import threading
import weakref
from collections.abc import Callable, Mapping
from typing import Any

from routilux_std_routines.expressions import Expression

Condition = str | Mapping[str, Any] | Callable[..., Any]

# How a condition callable is called: ``plan(fn, data, config)``.
_CallPlan = Callable[[Callable[..., Any], Any, Any], Any]


@functools.lru_cache(maxsize=512)
def expression(source: str) -> Expression:
    """The checked :class:`Expression` for ``source``, parsed once per distinct text."""
    return Expression(source)


def _call_with_data(fn: Callable[..., Any], data: Any, config: Any) -> Any:
    return fn(data)


def _call_plan(fn: Callable[..., Any]) -> _CallPlan:
    """Decide, from ``fn``'s parameter names, how a condition is called."""
    params = list(inspect.signature(fn).parameters.values())
    if len(params) == 1:
        return _call_with_data
    named = [p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if any(p.kind is p.VAR_KEYWORD for p in params):
        wanted = ["config", "stats"]
    else:
        wanted = [name for name in named[1:] if name in ("config", "stats")]
    if wanted:
        return lambda f, data, config: f(data, **{n: config if n == "config" else {} for n in wanted})
    if len(named) == 2:
        return lambda f, data, config: f(data, config)
    return _call_with_data


# Signature inspection is slow; plans are cached per condition callable.
_plans: weakref.WeakKeyDictionary[Any, _CallPlan] = weakref.WeakKeyDictionary()
_plans_lock = threading.Lock()


def call_condition(fn: Callable[..., Any], data: Any, config: Mapping[str, Any]) -> Any:
    """Call a condition callable the way the reference implementation does.

    One parameter: ``fn(data)``. Parameters named ``config``/``stats`` (or
    ``**kwargs``) get the routine config and an empty stats dict by keyword.
    Two parameters with other names: ``fn(data, config)``. When the signature
    cannot be inspected, or the planned call does not fit it (``TypeError``),
    ``fn(data)`` is tried instead.
    """
    try:
        plan = _plans.get(fn)
    except TypeError:  # not weak-referenceable / not hashable: just don't cache
        plan = None
    if plan is None:
        try:
            plan = _call_plan(fn)
        except (TypeError, ValueError):
            return fn(data)
        try:
            with _plans_lock:
                _plans[fn] = plan
        except TypeError:
            pass
    if plan is _call_with_data:
        return fn(data)
    try:
        return plan(fn, data, config)
    except TypeError:
        return fn(data)


def _matches_dict(expected: Mapping[str, Any], data: Any) -> bool:
    if not isinstance(data, Mapping):
        return False
    for key, want in expected.items():
        if key not in data:
            return False
        got = data[key]
        if not (bool(want(got)) if callable(want) else got == want):
            return False
    return True


def evaluate_condition(condition: Condition, data: Any, config: Mapping[str, Any]) -> bool:
    """Whether ``condition`` holds for ``data``. Errors propagate; callers decide what they mean."""
    if isinstance(condition, str):
        return bool(expression(condition).evaluate(data, config))
    if isinstance(condition, Expression):
        return bool(condition.evaluate(data, config))
    if isinstance(condition, Mapping):
        return _matches_dict(condition, data)
    if callable(condition):
        return bool(call_condition(condition, data, config))
    raise TypeError(
        f"a condition must be an expression string, a dict or a callable, got {type(condition).__name__}"
    )


def check_condition(condition: Any, what: str) -> None:
    """Reject a condition that can never work, at the moment it is defined."""
    if isinstance(condition, str):
        try:
            expression(condition)
        except ValueError as exc:
            raise ValueError(f"Condition for {what} is invalid: {exc}") from None
    elif not (isinstance(condition, Mapping) or callable(condition)):
        raise TypeError(
            f"Condition for {what} must be an expression string, a dict or a callable, "
            f"got {type(condition).__name__}"
        )
