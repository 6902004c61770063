"""The plugin registry: finds plugins, calls their hooks once, keeps plain maps.

A :class:`PluginRegistry` owns its own ``pluggy.PluginManager``. It registers
core's built-in plugins (:data:`DEFAULT_PLUGINS`) when it is built and the
third-party plugins of the ``routilux`` entry-point group the first time one of
its maps is read. Every plugin's hooks are called right when it is registered;
the records are checked and kept per plugin, then merged into read-only
``name -> record`` maps. Nothing here runs while a flow executes: the engine
looks names up in those maps.

The parts live in their own modules, which this one imports (never the reverse):

* :mod:`routilux.plugins.discovery`: entry points, failure handling for them,
  and the ``ROUTILUX_LOAD_PLUGINS`` / ``ROUTILUX_DISABLE_PLUGINS`` /
  ``ROUTILUX_STRICT_PLUGINS`` environment variables;
* :mod:`routilux.plugins.hooks`: calling a plugin's hooks once and checking
  the records they return;
* :mod:`routilux.plugins.resolution`: name clashes, replacing a built-in on
  purpose (``register(..., replace=True)``, ``routilux_replaces``) and
  building the read-only maps;
* :mod:`routilux.plugins.errors`: :class:`PluginError` and
  :class:`PluginLookupError`.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Iterable, Mapping
from pathlib import PurePath
from typing import TypeVar

import attrs
import pluggy

from routilux.plugins import hookspecs
from routilux.plugins.discovery import ENTRY_POINT_GROUP, EntryPointLike, discover_plugins, installed_version
from routilux.plugins.errors import PluginError, PluginLookupError, describe_error, owner_of
from routilux.plugins.hooks import (
    KINDS,
    LoadedPlugin,
    call_hooks,
    check_pending,
    reject_unmarked_hooks,
)
from routilux.plugins.resolution import Maps, build_maps, conflict_message, parse_replaces, pick_winners
from routilux.plugins.specs import (
    ErrorStrategySpec,
    ExecutorSpec,
    PluginRecord,
    RoutineSpec,
    SerializerSpec,
    StoreSpec,
)

__all__ = [
    "CORE_DISTRIBUTION",
    "DEFAULT_PLUGINS",
    "ENTRY_POINT_GROUP",
    "KINDS",
    "PluginError",
    "PluginLookupError",
    "PluginRegistry",
    "get_registry",
    "set_registry",
]

#: Modules of core that register the built-in executors and error strategies.
#: They are imported when a registry is built, never when routilux itself is imported.
DEFAULT_PLUGINS: tuple[str, ...] = ("routilux.engine.executors", "routilux.error_strategies")

#: The distribution that provides each well-known store scheme (named when none is installed).
STORE_DISTRIBUTIONS = {"sqlite": "routilux-sqlite-store", "file": "routilux-json-store"}

#: Distribution name shown for built-in plugins.
CORE_DISTRIBUTION = "routilux-core"

_T = TypeVar("_T")


def _import_target(target: str) -> object:
    """Import ``"package.module"`` or ``"package.module:attribute"``."""
    module_name, _, attribute = target.partition(":")
    obj: object = importlib.import_module(module_name)
    for part in filter(None, attribute.split(".")):
        obj = getattr(obj, part)
    return obj


class PluginRegistry:
    """Routines, error strategies, serializers and executors offered by plugins.

    ``builtins`` are module names (imported when the registry is built) or
    plugin objects; they are core's own plugins, shown as distribution
    ``routilux-core``, never filtered, and any failure among them raises
    :class:`PluginError` at once. ``entry_points`` replaces the ``routilux``
    entry-point group with the given entry-point-like objects (``.name``,
    ``.value``, ``.load()``, optional ``.dist``); ``discover=False`` skips
    entry points altogether. Entry points are loaded once, on the first read
    of any map, record list or lookup method.

    The maps are read-only and shared; registering a plugin builds new ones.
    """

    def __init__(
        self,
        *,
        builtins: Iterable[str | object] = DEFAULT_PLUGINS,
        entry_points: Iterable[EntryPointLike] | None = None,
        discover: bool = True,
    ) -> None:
        self._lock = threading.RLock()
        self._pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self._pm.add_hookspecs(hookspecs)
        self._entry_points = entry_points
        self._discovered = not discover
        self._discovery_error: PluginError | None = None
        self._builtins: list[LoadedPlugin] = []
        self._discovered_plugins: list[LoadedPlugin] = []
        self._discovered_records: list[PluginRecord] = []
        self._registered: list[LoadedPlugin] = []
        self._maps: Maps | None = None
        core_version = installed_version(CORE_DISTRIBUTION)
        for builtin in builtins:
            self._builtins.append(self._register_builtin(builtin, core_version))

    # -- public maps -------------------------------------------------------------------------------

    @property
    def routines(self) -> Mapping[str, RoutineSpec]:
        """Routine types by name."""
        return self._resolved().routines

    @property
    def error_strategies(self) -> Mapping[str, ErrorStrategySpec]:
        """Error strategies by name."""
        return self._resolved().error_strategies

    @property
    def serializers(self) -> Mapping[str, SerializerSpec]:
        """Serialization formats by name."""
        return self._resolved().serializers

    @property
    def executors(self) -> Mapping[str, ExecutorSpec]:
        """Executors by name."""
        return self._resolved().executors

    @property
    def stores(self) -> Mapping[str, StoreSpec]:
        """Stores by name."""
        return self._resolved().stores

    @property
    def plugins(self) -> tuple[PluginRecord, ...]:
        """Every plugin known to this registry: built-ins, entry points (including
        failed and disabled ones) and programmatic registrations, in that order.

        Reading this does not check for name clashes, so it works (for listings)
        even when the maps cannot be built.
        """
        self._ensure_discovered()
        with self._lock:
            return (
                tuple(p.record for p in self._builtins)
                + tuple(self._discovered_records)
                + tuple(p.record for p in self._registered)
            )

    # -- lookups -----------------------------------------------------------------------------------

    def get_routine(self, name: str) -> RoutineSpec:
        """The routine type registered as ``name``; :class:`PluginLookupError` if unknown."""
        return self._lookup("routine", self.routines, name)

    def get_error_strategy(self, name: str) -> ErrorStrategySpec:
        """The error strategy registered as ``name``; :class:`PluginLookupError` if unknown."""
        return self._lookup("error_strategy", self.error_strategies, name)

    def get_serializer(self, name: str) -> SerializerSpec:
        """The serializer registered as ``name``; :class:`PluginLookupError` if unknown."""
        return self._lookup("serializer", self.serializers, name)

    def get_executor(self, name: str) -> ExecutorSpec:
        """The executor registered as ``name``; :class:`PluginLookupError` if unknown."""
        return self._lookup("executor", self.executors, name)

    def get_store(self, name: str) -> StoreSpec:
        """The store registered as ``name``; :class:`PluginLookupError` if unknown."""
        return self._lookup("store", self.stores, name)

    def store_for_scheme(self, scheme: str) -> StoreSpec:
        """The store that handles URLs ``<scheme>:...``; :class:`PluginLookupError` naming the
        distribution to install (``sqlite``: routilux-sqlite-store, ``file``: routilux-json-store)."""
        maps = self._resolved()
        spec = maps.schemes.get(scheme.lower())
        if spec is not None:
            return spec
        known = ", ".join(sorted(maps.schemes)) or "(none)"
        hint = STORE_DISTRIBUTIONS.get(scheme.lower())
        install = f"; pip install {hint} for {scheme!r} stores" if hint else ""
        raise PluginLookupError(
            f"no store plugin handles the URL scheme {scheme!r}; schemes of the installed stores: "
            f"{known}{install}{self.failure_note()}"
        )

    def serializer_for_path(self, path: str | os.PathLike[str]) -> SerializerSpec:
        """The serializer whose suffix matches ``path``.

        The longest matching suffix wins, so ``".json.gz"`` is preferred over
        ``".gz"``; matching ignores case.
        """
        maps = self._resolved()
        suffixes = [s.lower() for s in PurePath(path).suffixes]
        for start in range(len(suffixes)):
            spec = maps.suffixes.get("".join(suffixes[start:]))
            if spec is not None:
                return spec
        known = ", ".join(sorted(maps.suffixes)) or "(none)"
        raise PluginLookupError(
            f"no serializer for file {os.fspath(path)!r}: its suffix is not registered; "
            f"known suffixes: {known}{self.failure_note()}"
        )

    # -- registration ------------------------------------------------------------------------------

    def register(
        self, plugin: str | object, name: str | None = None, *, replace: bool = False
    ) -> PluginRecord:
        """Register ``plugin`` (an object with hookimpls, or a ``"module[:attr]"`` path).

        Its hooks are called now. Any failure raises :class:`PluginError` and
        leaves the registry as it was. With ``replace=True`` every name the
        plugin provides replaces the same name of any other plugin (including
        built-ins); a later ``replace=True`` registration wins over an earlier
        one. Without it, a clash with an already known name raises here, and a
        clash with an entry point discovered later raises when the maps are read.
        """
        with self._lock:
            try:
                obj = _import_target(plugin) if isinstance(plugin, str) else plugin
            except Exception as exc:
                raise PluginError(f"cannot import plugin {plugin!r}: {describe_error(exc)}") from exc
            record = PluginRecord(name=name or self._pm.get_canonical_name(obj))
            loaded = self._load(obj, record, key=record.name, explicit_replace=replace)
            conflicts = [c for c in pick_winners(self._active_plugins() + [loaded])[1] if loaded in c.plugins]
            if conflicts:
                self._pm.unregister(plugin=obj)
                raise PluginError(conflict_message(conflicts))
            self._registered.append(loaded)
            self._maps = None
            return loaded.record

    # -- internals ---------------------------------------------------------------------------------

    def _register_builtin(self, builtin: str | object, core_version: str) -> LoadedPlugin:
        label = builtin if isinstance(builtin, str) else self._pm.get_canonical_name(builtin)
        try:
            obj = _import_target(builtin) if isinstance(builtin, str) else builtin
        except Exception as exc:
            raise PluginError(
                f"built-in plugin {label!r} of {CORE_DISTRIBUTION} cannot be imported: {describe_error(exc)}"
            ) from exc
        record = PluginRecord(name=label, distribution=CORE_DISTRIBUTION, version=core_version)
        return self._load(obj, record, key=label)

    def _load(
        self, obj: object, record: PluginRecord, *, key: str, explicit_replace: bool = False
    ) -> LoadedPlugin:
        """Register ``obj`` with pluggy under ``key`` and call its hooks; all or nothing."""
        if self._pm.is_registered(obj):
            raise PluginError(
                f"{owner_of(record)}: {obj!r} is already registered as {self._pm.get_name(obj)!r}"
            )
        if self._pm.has_plugin(key):
            raise PluginError(f"{owner_of(record)}: a plugin named {key!r} is already registered")
        try:
            self._pm.register(obj, name=key)
            check_pending(self._pm)
            reject_unmarked_hooks(obj, self._pm)
            hooks = tuple(sorted(caller.name for caller in self._pm.get_hookcallers(obj) or ()))
            specs = call_hooks(self._pm, obj)
            replaces = parse_replaces(obj)
        except Exception as exc:
            # pluggy keeps whatever it registered before a failure; drop all of it.
            if self._pm.is_registered(obj):
                self._pm.unregister(plugin=obj)
            raise PluginError(f"{owner_of(record)} failed while registering: {describe_error(exc)}") from exc
        provides = tuple(f"{kind}:{spec.name}" for kind, records in specs.items() for spec in records)
        descriptions = tuple(spec.description for records in specs.values() for spec in records)
        record = attrs.evolve(
            record, hooks=hooks, provides=provides, descriptions=descriptions, status="ok", error=None
        )
        return LoadedPlugin(record, obj, specs, replaces, explicit_replace)

    def _active_plugins(self) -> list[LoadedPlugin]:
        return self._builtins + self._discovered_plugins + self._registered

    def _ensure_discovered(self) -> None:
        if self._discovered:
            if self._discovery_error is not None:
                raise self._discovery_error
            return
        with self._lock:
            if self._discovered:
                if self._discovery_error is not None:
                    raise self._discovery_error
                return
            # Set first so that a plugin reading the registry while being imported sees
            # what is there instead of recursing into discovery.
            self._discovered = True
            try:
                discover_plugins(
                    self._entry_points,
                    lambda obj, record, key: self._load(obj, record, key=key),
                    self._discovered_plugins,
                    self._discovered_records,
                )
            except PluginError as exc:
                self._discovery_error = exc
                raise

    def _resolved(self) -> Maps:
        maps = self._maps
        if maps is not None:
            return maps
        self._ensure_discovered()
        with self._lock:
            if self._maps is None:
                self._maps = build_maps(self._active_plugins())
            return self._maps

    def _lookup(self, kind_key: str, found: Mapping[str, _T], name: str) -> _T:
        spec = found.get(name)
        if spec is not None:
            return spec
        kind = next(k for k in KINDS if k.key == kind_key)
        available = ", ".join(sorted(found)) or "(none)"
        raise PluginLookupError(
            f"unknown {kind.singular} {name!r}; available {kind.plural}: {available}{self.failure_note()}"
        )

    def failure_note(self) -> str:
        """What to add to a "no such name" error: the plugins that failed to load or are disabled.

        ``". Plugin 'x' from dist 1.0 failed to load and may have provided it: ImportError: ..."``
        (one sentence per such plugin), or ``""`` when every plugin loaded. Callers that report an
        unknown routine type, executor, strategy or serializer in their own words append it, so
        the message names the broken distribution.
        """
        notes = []
        for record in self.plugins:
            if record.status == "error":
                notes.append(
                    f" Plugin {record.name!r} from {owner_of(record)} failed to load and may have "
                    f"provided it: {record.error}."
                )
            elif record.status == "disabled":
                notes.append(f" Plugin {record.name!r} from {owner_of(record)} is disabled ({record.error}).")
        return "." + "".join(notes) if notes else ""

    def __repr__(self) -> str:
        state = "discovered" if self._discovered else "not discovered yet"
        known = len(self._builtins) + len(self._discovered_records) + len(self._registered)
        return f"<PluginRegistry {known} plugins, entry points {state}>"


_default_registry: PluginRegistry | None = None
_default_lock = threading.Lock()


def get_registry() -> PluginRegistry:
    """The process-wide registry, built on first use (thread-safe, once)."""
    registry = _default_registry
    if registry is not None:
        return registry
    with _default_lock:
        if _default_registry is None:
            set_registry(PluginRegistry())
        assert _default_registry is not None
        return _default_registry


def set_registry(registry: PluginRegistry | None) -> PluginRegistry | None:
    """Install ``registry`` as the process-wide one and return the previous one.

    ``None`` forgets the current registry, so the next :func:`get_registry`
    builds a fresh default one.
    """
    global _default_registry
    previous, _default_registry = _default_registry, registry
    return previous
