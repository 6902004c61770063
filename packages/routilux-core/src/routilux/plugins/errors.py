"""The exceptions of the plugin system and how failures name a plugin in messages."""

from __future__ import annotations

from routilux.plugins.specs import PluginRecord

__all__ = ["PluginError", "PluginLookupError"]


class PluginError(RuntimeError):
    """A plugin could not be loaded or clashes with another plugin."""


class PluginLookupError(ValueError, LookupError):
    """A routine, error strategy, serializer or executor name is not registered."""


def owner_of(record: PluginRecord) -> str:
    if record.distribution is None:
        return f"plugin {record.name!r}"
    version = f" {record.version}" if record.version else ""
    return f"{record.distribution}{version}"


def describe_error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
