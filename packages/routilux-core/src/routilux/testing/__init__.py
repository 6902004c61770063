"""Helpers for testing routilux plugins (and code that uses the plugin registry).

* :class:`FakeEntryPoint` stands in for an installed ``routilux`` entry point.
* :func:`make_registry` builds an isolated :class:`~routilux.plugins.PluginRegistry`
  from plugin modules and fake entry points, without touching what is installed.
* :func:`use_registry` installs a registry as the process-wide one for a block.
* :class:`RoutinePluginContract`, :class:`SerializerPluginContract`,
  :class:`ExecutorPluginContract`, :class:`StorePluginContract` (snapshot
  stores) and :class:`DurableStorePluginContract` (stores that also journal
  jobs) are pytest-style base classes: subclass one
  in a ``Test*`` class, set ``plugin`` (and the name to check) and the
  inherited ``test_*`` methods check the plugin against the contract of its
  kind::

      from routilux.testing import SerializerPluginContract

      class TestYamlSerializer(SerializerPluginContract):
          plugin = "routilux_yaml.plugin"     # module, object or import path
          serializer = "yaml"

The contract classes use plain ``assert`` and need nothing beyond routilux, so
importing this package does not import pytest.

Modules:

* :mod:`~routilux.testing.registries`: the fake plugin environment;
* :mod:`~routilux.testing.contract`: :class:`PluginContract`, the base of the contracts;
* :mod:`~routilux.testing.routine_contract`, :mod:`~routilux.testing.serializer_contract`,
  :mod:`~routilux.testing.executor_contract`, :mod:`~routilux.testing.store_contract`: one
  contract per plugin kind.
"""

from __future__ import annotations

from routilux.testing.contract import PluginContract
from routilux.testing.executor_contract import ExecutorPluginContract
from routilux.testing.registries import FakeDistribution, FakeEntryPoint, make_registry, use_registry
from routilux.testing.routine_contract import RoutinePluginContract
from routilux.testing.serializer_contract import SerializerPluginContract
from routilux.testing.store_contract import DurableStorePluginContract, StorePluginContract

__all__ = [
    "DurableStorePluginContract",
    "ExecutorPluginContract",
    "FakeDistribution",
    "FakeEntryPoint",
    "PluginContract",
    "RoutinePluginContract",
    "SerializerPluginContract",
    "StorePluginContract",
    "make_registry",
    "use_registry",
]
