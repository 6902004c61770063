"""Calling a plugin's hooks once and checking the records they return.

A plugin is checked while it is registered: a hookimpl whose name is no
routilux hook, a ``routilux_*`` function missing its ``@hookimpl`` mark, a
hook returning something other than a list or tuple of the kind's spec
records, a name returned twice and a malformed serializer suffix all raise
:class:`~routilux.plugins.errors.PluginError`.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import pluggy

from routilux.plugins.errors import PluginError, owner_of
from routilux.plugins.specs import (
    ErrorStrategySpec,
    ExecutorSpec,
    PluginRecord,
    RoutineSpec,
    SerializerSpec,
    StoreSpec,
)

__all__ = ["KINDS"]


# Internal records are NamedTuples / plain classes: attrs classes cost about a millisecond each
# at import, and this module is imported whenever routilux is.
class _Kind(NamedTuple):
    key: str
    singular: str
    plural: str
    hook: str
    spec: type[Any]


#: The five extension kinds, in the order their hooks are called.
KINDS: tuple[_Kind, ...] = (
    _Kind("routine", "routine", "routines", "routilux_register_routines", RoutineSpec),
    _Kind(
        "error_strategy",
        "error strategy",
        "error strategies",
        "routilux_register_error_strategies",
        ErrorStrategySpec,
    ),
    _Kind("serializer", "serializer", "serializers", "routilux_register_serializers", SerializerSpec),
    _Kind("executor", "executor", "executors", "routilux_register_executors", ExecutorSpec),
    _Kind("store", "store", "stores", "routilux_register_stores", StoreSpec),
)
KIND_KEYS = frozenset(kind.key for kind in KINDS)


class LoadedPlugin:
    """A registered plugin together with the records its hooks returned."""

    __slots__ = ("record", "obj", "specs", "declared_replaces", "explicit_replace")

    def __init__(
        self,
        record: PluginRecord,
        obj: object,
        specs: dict[str, tuple[Any, ...]],
        declared_replaces: frozenset[str],
        explicit_replace: bool,
    ) -> None:
        self.record = record
        self.obj = obj
        self.specs = specs
        self.declared_replaces = declared_replaces
        self.explicit_replace = explicit_replace

    @property
    def owner(self) -> str:
        return owner_of(self.record)


def check_pending(pm: pluggy.PluginManager) -> None:
    """Fail on a hookimpl whose name is no hook (a misspelling would otherwise be ignored forever)."""
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        known = ", ".join(kind.hook for kind in KINDS)
        raise PluginError(f"{exc}; the routilux hooks are {known}") from exc


def reject_unmarked_hooks(obj: object, pm: pluggy.PluginManager) -> None:
    """Fail on ``routilux_*`` functions that pluggy ignored (typically a missing ``@hookimpl``)."""
    for attribute in dir(obj):
        if not attribute.startswith("routilux_") or pm.parse_hookimpl_opts(obj, attribute) is not None:
            continue
        if isinstance(getattr(obj, attribute, None), (types.FunctionType, types.MethodType)):
            known = ", ".join(kind.hook for kind in KINDS)
            raise PluginError(
                f"{attribute}() is not a registered hook implementation: mark it with "
                f"@routilux.hookimpl and give it one of the hook names {known}"
            )


def call_hooks(pm: pluggy.PluginManager, obj: object) -> dict[str, tuple[Any, ...]]:
    """Call each of ``obj``'s hookimpls once and check what they return."""
    specs: dict[str, tuple[Any, ...]] = {}
    for kind in KINDS:
        caller: Any = getattr(pm.hook, kind.hook)
        functions: list[Callable[[], Any]] = [
            impl.function for impl in caller.get_hookimpls() if impl.plugin is obj
        ]
        if functions:
            specs[kind.key] = _check_results(kind, [function() for function in functions])
    return specs


def _check_results(kind: _Kind, results: list[Any]) -> tuple[Any, ...]:
    items: list[Any] = []
    for result in results:
        if result is None:
            continue
        if isinstance(result, (str, bytes)) or not isinstance(result, Sequence):
            raise PluginError(
                f"{kind.hook}() must return a list or tuple of {kind.spec.__name__}, got {result!r}"
            )
        items.extend(result)
    seen: set[str] = set()
    item: Any
    for item in items:
        if not isinstance(item, kind.spec):
            raise PluginError(f"{kind.hook}() must return {kind.spec.__name__} records, got {item!r}")
        if item.name in seen:
            raise PluginError(f"{kind.hook}() returned the {kind.singular} name {item.name!r} twice")
        seen.add(item.name)
        if isinstance(item, SerializerSpec):
            for suffix in item.suffixes:
                if not isinstance(suffix, str) or not suffix.startswith(".") or len(suffix) < 2:
                    raise PluginError(
                        f"serializer {item.name!r} has suffix {suffix!r}; suffixes look like '.json'"
                    )
    return tuple(items)
