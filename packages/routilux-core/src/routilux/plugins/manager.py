"""The plugin registry: finds plugins, calls their hooks once, keeps plain maps.

A :class:`PluginRegistry` owns its own ``pluggy.PluginManager``. It registers
core's built-in plugins (:data:`DEFAULT_PLUGINS`) when it is built and the
third-party plugins of the ``routilux`` entry-point group the first time one of
its maps is read. Every plugin's hooks are called right when it is registered;
the records are checked and kept per plugin, then merged into read-only
``name -> record`` maps. Nothing here runs while a flow executes: the engine
looks names up in those maps.

Failure handling for entry points
    Each entry point is loaded and registered on its own. If it raises while
    being imported, while pluggy validates it, or inside one of its hooks, it
    is unregistered (none of its records are kept), recorded with
    ``status="error"`` and reported with one ``RuntimeWarning``; the other
    plugins are unaffected. Looking up a name it would have provided fails with
    a :class:`PluginLookupError` naming its distribution and exception. With
    ``ROUTILUX_STRICT_PLUGINS=1`` the failure is raised as :class:`PluginError`
    instead.

Choosing plugins
    ``ROUTILUX_LOAD_PLUGINS`` (comma-separated allowlist; set but empty loads
    none) and ``ROUTILUX_DISABLE_PLUGINS`` (denylist) match an entry point's
    name or its distribution's name and are applied before anything is
    imported. Built-ins are never filtered.

Name clashes and replacing a built-in
    Two plugins providing the same name (for example two executors called
    ``"fast"``, or a plugin reusing the built-in ``"sequential"``) make the
    maps unusable: reading them raises one :class:`PluginError` listing both
    distributions. Which one wins is never decided by load order. To replace a
    name on purpose, either

    * register the plugin programmatically with
      ``registry.register(module, replace=True)`` (the latest such call wins), or
    * declare it in the plugin itself with a module (or object) attribute
      ``routilux_replaces = ("executor:sequential",)`` listing ``"<kind>:<name>"``
      keys, kinds being ``routine``, ``error_strategy``, ``serializer`` and
      ``executor``. Two plugins declaring the same replacement are again a
      clash.
"""

from __future__ import annotations

import importlib
import os
import threading
import types
import warnings
from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import Any, Callable, Iterable, NamedTuple, Optional, Protocol, TypeVar, Union

import attrs
import pluggy

from routilux.plugins import hookspecs
from routilux.plugins.specs import (
    ErrorStrategySpec,
    ExecutorSpec,
    PluginRecord,
    RoutineSpec,
    SerializerSpec,
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
#: They are imported when a registry is built, never at ``import routilux``.
DEFAULT_PLUGINS: tuple[str, ...] = ("routilux.engine.executors", "routilux.strategies")

#: Distribution name shown for built-in plugins.
CORE_DISTRIBUTION = "routilux-core"

#: The one entry-point group third-party plugins are published under.
ENTRY_POINT_GROUP = "routilux"

ENV_LOAD = "ROUTILUX_LOAD_PLUGINS"
ENV_DISABLE = "ROUTILUX_DISABLE_PLUGINS"
ENV_STRICT = "ROUTILUX_STRICT_PLUGINS"

#: Attribute a plugin may define to replace names of other plugins on purpose.
REPLACES_ATTRIBUTE = "routilux_replaces"

_T = TypeVar("_T")

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


class PluginError(RuntimeError):
    """A plugin could not be loaded or clashes with another plugin."""


class PluginLookupError(ValueError, LookupError):
    """A routine, error strategy, serializer or executor name is not registered."""


# Internal records are NamedTuples / plain classes: attrs classes cost about a millisecond each
# at import, and this module is imported by ``import routilux``.
class _Kind(NamedTuple):
    key: str
    singular: str
    plural: str
    hook: str
    spec: type[Any]


#: The four extension kinds, in the order their hooks are called.
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
)
_KIND_KEYS = frozenset(kind.key for kind in KINDS)


class EntryPointLike(Protocol):
    """What the registry needs from an entry point (``importlib.metadata.EntryPoint`` fits)."""

    name: str
    value: str

    def load(self) -> Any: ...


class _Plugin:
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
        return _owner(self.record)


class _Maps(NamedTuple):
    routines: Mapping[str, RoutineSpec]
    error_strategies: Mapping[str, ErrorStrategySpec]
    serializers: Mapping[str, SerializerSpec]
    executors: Mapping[str, ExecutorSpec]
    suffixes: Mapping[str, SerializerSpec]


def _owner(record: PluginRecord) -> str:
    if record.distribution is None:
        return f"plugin {record.name!r}"
    version = f" {record.version}" if record.version else ""
    return f"{record.distribution}{version}"


def _describe_error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _canonical(name: str) -> str:
    # Distribution names compare like pip does: case and -_. are not significant.
    return name.strip().lower().replace("_", "-").replace(".", "-")


def _env_list(variable: str) -> Optional[frozenset[str]]:
    raw = os.environ.get(variable)
    if raw is None:
        return None
    return frozenset(_canonical(item) for item in raw.split(",") if item.strip())


def _strict_mode() -> bool:
    raw = os.environ.get(ENV_STRICT, "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise PluginError(
        f"{ENV_STRICT}={os.environ[ENV_STRICT]!r} is not valid; "
        f"use one of {sorted(_TRUE)} to enable or {sorted(_FALSE - {''})} (or unset) to disable"
    )


def _core_version() -> Optional[str]:
    version = getattr(importlib.import_module("routilux"), "__version__", None)
    return version if isinstance(version, str) else None


def _import_target(target: str) -> object:
    """Import ``"package.module"`` or ``"package.module:attribute"``."""
    module_name, _, attribute = target.partition(":")
    obj: object = importlib.import_module(module_name)
    for part in filter(None, attribute.split(".")):
        obj = getattr(obj, part)
    return obj


def _entry_point_distribution(entry_point: Any) -> tuple[Optional[str], Optional[str]]:
    dist = getattr(entry_point, "dist", None)
    if dist is None:
        return None, None
    name = getattr(dist, "name", None)
    if name is None:
        metadata = getattr(dist, "metadata", None)
        name = metadata["Name"] if metadata is not None else None
    return name, getattr(dist, "version", None)


def _parse_replaces(plugin: object) -> frozenset[str]:
    declared = getattr(plugin, REPLACES_ATTRIBUTE, ())
    if isinstance(declared, str) or not isinstance(declared, Iterable):
        raise PluginError(
            f"{REPLACES_ATTRIBUTE} must be a tuple of '<kind>:<name>' strings, got {declared!r}"
        )
    keys = []
    for key in declared:
        kind, sep, name = key.partition(":") if isinstance(key, str) else ("", "", "")
        if not sep or kind not in _KIND_KEYS or not name:
            raise PluginError(
                f"{REPLACES_ATTRIBUTE} entry {key!r} is not valid; expected '<kind>:<name>' "
                f"with kind one of {sorted(_KIND_KEYS)}"
            )
        keys.append(key)
    return frozenset(keys)


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
        builtins: Iterable[Union[str, object]] = DEFAULT_PLUGINS,
        entry_points: Optional[Iterable[EntryPointLike]] = None,
        discover: bool = True,
    ) -> None:
        self._lock = threading.RLock()
        self._pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self._pm.add_hookspecs(hookspecs)
        self._entry_points = entry_points
        self._discovered = not discover
        self._discovery_error: Optional[PluginError] = None
        self._builtins: list[_Plugin] = []
        self._discovered_plugins: list[_Plugin] = []
        self._discovered_records: list[PluginRecord] = []
        self._registered: list[_Plugin] = []
        self._maps: Optional[_Maps] = None
        core_version = _core_version()
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

    def serializer_for_path(self, path: Union[str, os.PathLike[str]]) -> SerializerSpec:
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
            f"known suffixes: {known}{self._failure_note()}"
        )

    # -- registration ------------------------------------------------------------------------------

    def register(
        self, plugin: Union[str, object], name: Optional[str] = None, *, replace: bool = False
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
                raise PluginError(f"cannot import plugin {plugin!r}: {_describe_error(exc)}") from exc
            record = PluginRecord(name=name or self._pm.get_canonical_name(obj))
            loaded = self._load(obj, record, key=record.name, explicit_replace=replace)
            conflicts = [c for c in _winners(self._active_plugins() + [loaded])[1] if loaded in c.plugins]
            if conflicts:
                self._pm.unregister(plugin=obj)
                raise PluginError(_conflict_message(conflicts))
            self._registered.append(loaded)
            self._maps = None
            return loaded.record

    # -- internals ---------------------------------------------------------------------------------

    def _register_builtin(self, builtin: Union[str, object], core_version: Optional[str]) -> _Plugin:
        label = builtin if isinstance(builtin, str) else self._pm.get_canonical_name(builtin)
        try:
            obj = _import_target(builtin) if isinstance(builtin, str) else builtin
        except Exception as exc:
            raise PluginError(
                f"built-in plugin {label!r} of {CORE_DISTRIBUTION} cannot be imported: {_describe_error(exc)}"
            ) from exc
        record = PluginRecord(name=label, distribution=CORE_DISTRIBUTION, version=core_version)
        return self._load(obj, record, key=label)

    def _load(
        self, obj: object, record: PluginRecord, *, key: str, explicit_replace: bool = False
    ) -> _Plugin:
        """Register ``obj`` with pluggy under ``key`` and call its hooks; all or nothing."""
        if self._pm.is_registered(obj):
            raise PluginError(
                f"{_owner(record)}: {obj!r} is already registered as {self._pm.get_name(obj)!r}"
            )
        if self._pm.has_plugin(key):
            raise PluginError(f"{_owner(record)}: a plugin named {key!r} is already registered")
        try:
            self._pm.register(obj, name=key)
            _check_pending(self._pm)
            _reject_unmarked_hooks(obj, self._pm)
            hooks = tuple(sorted(caller.name for caller in self._pm.get_hookcallers(obj) or ()))
            specs = _call_hooks(self._pm, obj)
            replaces = _parse_replaces(obj)
        except Exception as exc:
            # pluggy keeps whatever it registered before a failure; drop all of it.
            if self._pm.is_registered(obj):
                self._pm.unregister(plugin=obj)
            raise PluginError(f"{_owner(record)} failed while registering: {_describe_error(exc)}") from exc
        provides = tuple(f"{kind}:{spec.name}" for kind, records in specs.items() for spec in records)
        record = attrs.evolve(record, hooks=hooks, provides=provides, status="ok", error=None)
        return _Plugin(record, obj, specs, replaces, explicit_replace)

    def _active_plugins(self) -> list[_Plugin]:
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
                self._discover()
            except PluginError as exc:
                self._discovery_error = exc
                raise

    def _discover(self) -> None:
        strict = _strict_mode()
        allow = _env_list(ENV_LOAD)
        deny = _env_list(ENV_DISABLE) or frozenset()
        if self._entry_points is None:
            from importlib.metadata import entry_points

            found: Iterable[Any] = entry_points(group=ENTRY_POINT_GROUP)
        else:
            found = self._entry_points
        ordered = sorted(found, key=lambda ep: (_entry_point_distribution(ep)[0] or "", ep.name))
        for entry_point in ordered:
            distribution, version = _entry_point_distribution(entry_point)
            record = PluginRecord(
                name=entry_point.name,
                distribution=distribution,
                version=version,
                entry_point=f"{entry_point.name} = {entry_point.value}",
            )
            names = {_canonical(entry_point.name)}
            if distribution:
                names.add(_canonical(distribution))
            if allow is not None and not names & allow:
                reason = f"not listed in {ENV_LOAD}"
            elif names & deny:
                reason = f"listed in {ENV_DISABLE}"
            else:
                self._discover_one(entry_point, record, strict)
                continue
            self._discovered_records.append(attrs.evolve(record, status="disabled", error=reason))

    def _discover_one(self, entry_point: EntryPointLike, record: PluginRecord, strict: bool) -> None:
        try:
            try:
                obj = entry_point.load()
            except Exception as exc:
                raise PluginError(
                    f"{_owner(record)} (entry point {record.entry_point!r}) cannot be imported: "
                    f"{_describe_error(exc)}"
                ) from exc
            loaded = self._load(obj, record, key=f"{record.distribution}:{record.name}")
        except PluginError as exc:
            cause = exc.__cause__ if exc.__cause__ is not None else exc
            failed = attrs.evolve(record, status="error", error=_describe_error(cause))
            self._discovered_records.append(failed)
            if strict:
                raise
            warnings.warn(
                f"routilux plugin {record.name!r} from {_owner(record)} failed to load and was "
                f"skipped: {failed.error} (set {ENV_STRICT}=1 to make this an error, or "
                f"{ENV_DISABLE}={record.name} to silence it)",
                RuntimeWarning,
                stacklevel=2,
            )
            return
        self._discovered_plugins.append(loaded)
        self._discovered_records.append(loaded.record)

    def _resolved(self) -> _Maps:
        maps = self._maps
        if maps is not None:
            return maps
        self._ensure_discovered()
        with self._lock:
            if self._maps is None:
                self._maps = _build_maps(self._active_plugins())
            return self._maps

    def _lookup(self, kind_key: str, found: Mapping[str, _T], name: str) -> _T:
        spec = found.get(name)
        if spec is not None:
            return spec
        kind = next(k for k in KINDS if k.key == kind_key)
        available = ", ".join(sorted(found)) or "(none)"
        raise PluginLookupError(
            f"unknown {kind.singular} {name!r}; available {kind.plural}: {available}{self._failure_note()}"
        )

    def _failure_note(self) -> str:
        notes = []
        for record in self.plugins:
            if record.status == "error":
                notes.append(
                    f" Plugin {record.name!r} from {_owner(record)} failed to load and may have "
                    f"provided it: {record.error}."
                )
            elif record.status == "disabled":
                notes.append(f" Plugin {record.name!r} from {_owner(record)} is disabled ({record.error}).")
        return "." + "".join(notes) if notes else ""

    def __repr__(self) -> str:
        state = "discovered" if self._discovered else "not discovered yet"
        known = len(self._builtins) + len(self._discovered_records) + len(self._registered)
        return f"<PluginRegistry {known} plugins, entry points {state}>"


def _check_pending(pm: pluggy.PluginManager) -> None:
    """Fail on a hookimpl whose name is no hook (a misspelling would otherwise be ignored forever)."""
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        known = ", ".join(kind.hook for kind in KINDS)
        raise PluginError(f"{exc}; the routilux hooks are {known}") from exc


def _reject_unmarked_hooks(obj: object, pm: pluggy.PluginManager) -> None:
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


def _call_hooks(pm: pluggy.PluginManager, obj: object) -> dict[str, tuple[Any, ...]]:
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


class _Conflict(NamedTuple):
    what: str
    plugins: tuple[_Plugin, ...]
    #: Per plugin, what of it clashes (when ``what`` alone does not say it).
    details: tuple[str, ...] = ()


def _winners(plugins: Sequence[_Plugin]) -> tuple[dict[str, tuple[_Plugin, Any]], list[_Conflict]]:
    """Pick one provider per ``"<kind>:<name>"`` key; report clashes instead of guessing.

    An explicit ``register(..., replace=True)`` wins (the latest one if several);
    otherwise a single plugin declaring the key in ``routilux_replaces`` wins;
    otherwise there must be exactly one provider.
    """
    providers: dict[str, list[tuple[_Plugin, Any]]] = {}
    for plugin in plugins:
        for kind, records in plugin.specs.items():
            for spec in records:
                providers.setdefault(f"{kind}:{spec.name}", []).append((plugin, spec))
    winners: dict[str, tuple[_Plugin, Any]] = {}
    conflicts: list[_Conflict] = []
    for key, candidates in providers.items():
        explicit = [c for c in candidates if c[0].explicit_replace]
        declared = [c for c in candidates if not c[0].explicit_replace and key in c[0].declared_replaces]
        clashing = declared if declared else candidates
        if explicit:
            winners[key] = explicit[-1]
        elif len(clashing) == 1:
            winners[key] = clashing[0]
        else:
            kind, _, name = key.partition(":")
            label = next(k.singular for k in KINDS if k.key == kind)
            conflicts.append(_Conflict(f"{label} {name!r}", tuple(c[0] for c in clashing)))
    return winners, conflicts


def _conflict_message(conflicts: Sequence[_Conflict]) -> str:
    def owners(conflict: _Conflict) -> str:
        details = conflict.details or ("",) * len(conflict.plugins)
        return " and by ".join(f"{p.owner}{d}" for p, d in zip(conflict.plugins, details))

    clashes = "; ".join(f"{c.what} is provided by {owners(c)}" for c in conflicts)
    return (
        f"routilux plugins clash: {clashes}. Uninstall or disable one of them "
        f"({ENV_DISABLE}=<entry point or distribution>), or replace on purpose with "
        f"registry.register(plugin, replace=True) or a plugin attribute "
        f"{REPLACES_ATTRIBUTE} = ('<kind>:<name>',)."
    )


def _build_maps(plugins: Sequence[_Plugin]) -> _Maps:
    winners, conflicts = _winners(plugins)
    by_kind: dict[str, dict[str, Any]] = {kind.key: {} for kind in KINDS}
    for key, (_plugin, spec) in sorted(winners.items()):
        by_kind[key.partition(":")[0]][spec.name] = spec
    suffix_owners: dict[str, list[tuple[_Plugin, SerializerSpec]]] = {}
    for key, (plugin, spec) in winners.items():
        if key.startswith("serializer:"):
            for suffix in spec.suffixes:
                suffix_owners.setdefault(suffix.lower(), []).append((plugin, spec))
    suffixes: dict[str, SerializerSpec] = {}
    for suffix, owners in sorted(suffix_owners.items()):
        if len(owners) == 1:
            suffixes[suffix] = owners[0][1]
        else:
            conflicts.append(
                _Conflict(
                    f"file suffix {suffix!r}",
                    tuple(plugin for plugin, _spec in owners),
                    tuple(f" (serializer {spec.name!r})" for _plugin, spec in owners),
                )
            )
    if conflicts:
        raise PluginError(_conflict_message(conflicts))
    return _Maps(
        routines=types.MappingProxyType(by_kind["routine"]),
        error_strategies=types.MappingProxyType(by_kind["error_strategy"]),
        serializers=types.MappingProxyType(by_kind["serializer"]),
        executors=types.MappingProxyType(by_kind["executor"]),
        suffixes=types.MappingProxyType(suffixes),
    )


_default_registry: Optional[PluginRegistry] = None
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


def set_registry(registry: Optional[PluginRegistry]) -> Optional[PluginRegistry]:
    """Install ``registry`` as the process-wide one and return the previous one.

    ``None`` forgets the current registry, so the next :func:`get_registry`
    builds a fresh default one.
    """
    global _default_registry
    previous, _default_registry = _default_registry, registry
    return previous
