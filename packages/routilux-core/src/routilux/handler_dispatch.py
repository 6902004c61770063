"""Handler dispatch: decide once, when a handler is attached, how to call it.

The rules are those of the 0.10 API (a handler taking ``**kwargs`` gets the
data unpacked, a single ``data`` parameter gets the whole dict, a single other
parameter gets its key's value or the whole dict, several parameters get the
matching keys or else the whole dict). Inspecting a signature costs tens of
microseconds, so it happens here once and the returned callable is what runs
per activation.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

Invoker = Callable[[dict[str, Any]], Any]


def _noop(merged: dict[str, Any]) -> None:
    return None


def make_invoker(handler: Callable[..., Any] | None) -> Invoker:
    """Return ``invoke(merged)`` calling ``handler`` with the 0.10 dispatch rules."""
    if handler is None:
        return _noop
    try:
        params = list(inspect.signature(handler).parameters.values())
    except (TypeError, ValueError):
        # Some builtins have no introspectable signature: pass the dict whole.
        return lambda merged: handler(merged)
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return lambda merged: handler(**merged)
    names = tuple(p.name for p in params)
    if len(names) == 1:
        (only,) = names
        if only == "data":
            return lambda merged: handler(merged)

        def invoke_single(merged: dict[str, Any]) -> Any:
            if only in merged:
                return handler(merged[only])
            return handler(merged)

        return invoke_single

    def invoke_matching(merged: dict[str, Any]) -> Any:
        kwargs = {name: merged[name] for name in names if name in merged}
        if kwargs:
            return handler(**kwargs)
        return handler(merged)

    return invoke_matching
