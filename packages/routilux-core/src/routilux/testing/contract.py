"""The base of the plugin contracts: the plugin under test, registered in a registry of its own."""

from __future__ import annotations

from typing import ClassVar

from routilux.plugins.manager import DEFAULT_PLUGINS, PluginRegistry
from routilux.plugins.specs import PluginRecord
from routilux.testing.registries import load_target

__all__ = ["PluginContract"]


class PluginContract:
    """Base of the contract classes: subclass one of them (not this one) in a ``Test*`` class.

    Its helpers have no ``test_`` prefix, so pytest never collects them.
    """

    #: The plugin under test: a module, an object with hookimpls, or a
    #: ``"module[:attr]"`` path (imported when the tests run, not at collection).
    plugin: ClassVar[object]

    #: What registering the plugin returned, set by :meth:`plugin_registry`.
    plugin_record: PluginRecord

    def plugin_registry(self, *, with_builtins: bool = False) -> PluginRegistry:
        """A registry holding the plugin (and, if asked, core's built-ins), no entry points."""
        plugin = type(self).plugin
        if isinstance(plugin, str):
            plugin = load_target(plugin)
        builtins: tuple[object, ...] = ()
        if with_builtins:
            # A core module tested as a plugin must not be registered twice.
            own_name = getattr(plugin, "__name__", None)
            builtins = tuple(name for name in DEFAULT_PLUGINS if name != own_name)
        registry = PluginRegistry(builtins=builtins, discover=False)
        self.plugin_record = registry.register(plugin)
        return registry

    def provided(self, kind: str) -> list[str]:
        """Names of ``kind`` (``"routine"``, ``"executor"``, ...) the plugin registered in the
        last :meth:`plugin_registry`."""
        prefix = f"{kind}:"
        return [key[len(prefix) :] for key in self.plugin_record.provides if key.startswith(prefix)]
