"""Plugin system of routilux: hooks, the records plugins return, and the registry.

Importing this package imports no plugin and reads no entry point; that
happens when the registry is first used (:func:`get_registry`).

Modules, each importing only those listed before it:

* :mod:`~routilux.plugins.foreign`: noticing the other project's ``routilux``
  distribution (checked once, when this package is imported);
* :mod:`~routilux.plugins.specs`: the records plugins return;
  :mod:`~routilux.plugins.hookspecs`: the five registration hooks;
* :mod:`~routilux.plugins.errors`: :class:`PluginError`, :class:`PluginLookupError`;
* :mod:`~routilux.plugins.hooks`: calling a plugin's hooks once and checking
  what they return;
* :mod:`~routilux.plugins.discovery`: entry points, failure handling for them and
  the ``ROUTILUX_*_PLUGINS`` environment variables;
* :mod:`~routilux.plugins.resolution`: name clashes, replacing a built-in on
  purpose, and the read-only maps;
* :mod:`~routilux.plugins.manager`: :class:`PluginRegistry`, :data:`DEFAULT_PLUGINS`
  and the process-wide registry (:func:`get_registry`, :func:`set_registry`).
"""

from __future__ import annotations

from routilux.plugins.foreign import warn_if_foreign_distribution
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
    StoreSpec,
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
    "StoreSpec",
    "get_registry",
    "hookimpl",
    "hookspec",
    "set_registry",
]

# One directory listing: the other project's 'routilux' distribution overwrites this package's files.
warn_if_foreign_distribution()
