"""Plugin system of routilux: hooks, the records plugins return, and the registry.

Importing this package imports no plugin and reads no entry point; that
happens when the registry is first used (:func:`get_registry`). See
:mod:`routilux.plugins.manager` for discovery, failure handling, the
``ROUTILUX_*_PLUGINS`` environment variables and how to replace a built-in.
"""

from __future__ import annotations

from routilux.plugins.hookspecs import hookimpl, hookspec
from routilux.plugins.manager import (
    DEFAULT_PLUGINS,
    PluginError,
    PluginLookupError,
    PluginRegistry,
    get_registry,
    set_registry,
)
from routilux.plugins.specs import (
    ErrorStrategySpec,
    ExecutorSpec,
    PluginRecord,
    RoutineSpec,
    SerializerSpec,
)

__all__ = [
    "DEFAULT_PLUGINS",
    "ErrorStrategySpec",
    "ExecutorSpec",
    "PluginError",
    "PluginLookupError",
    "PluginRecord",
    "PluginRegistry",
    "RoutineSpec",
    "SerializerSpec",
    "get_registry",
    "hookimpl",
    "hookspec",
    "set_registry",
]
