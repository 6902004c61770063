"""Resolving name clashes between plugins and building the read-only ``name -> record`` maps.

Name clashes and replacing a built-in
    Two plugins providing the same name (for example two executors called
    ``"fast"``, or a plugin reusing the built-in ``"sequential"``) make the
    maps unusable: reading them raises one
    :class:`~routilux.plugins.errors.PluginError` listing both distributions.
    Which one wins is never decided by load order. To replace a name on
    purpose, either

    * register the plugin programmatically with
      ``registry.register(module, replace=True)`` (the latest such call wins), or
    * declare it in the plugin itself with a module (or object) attribute
      ``routilux_replaces = ("executor:sequential",)`` listing ``"<kind>:<name>"``
      keys, kinds being ``routine``, ``error_strategy``, ``serializer`` and
      ``executor``. Two plugins declaring the same replacement are again a
      clash.

Two serializers claiming the same file suffix are a clash as well.
"""

from __future__ import annotations

import types
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from routilux.plugins.discovery import ENV_DISABLE
from routilux.plugins.errors import PluginError
from routilux.plugins.hooks import KIND_KEYS, KINDS, LoadedPlugin
from routilux.plugins.specs import ErrorStrategySpec, ExecutorSpec, RoutineSpec, SerializerSpec, StoreSpec

__all__ = ["REPLACES_ATTRIBUTE"]

#: Attribute a plugin may define to replace names of other plugins on purpose.
REPLACES_ATTRIBUTE = "routilux_replaces"


# NamedTuples rather than attrs classes, which cost about a millisecond each at import.
class Maps(NamedTuple):
    routines: Mapping[str, RoutineSpec]
    error_strategies: Mapping[str, ErrorStrategySpec]
    serializers: Mapping[str, SerializerSpec]
    executors: Mapping[str, ExecutorSpec]
    suffixes: Mapping[str, SerializerSpec]
    stores: Mapping[str, StoreSpec]
    schemes: Mapping[str, StoreSpec]


def parse_replaces(plugin: object) -> frozenset[str]:
    declared = getattr(plugin, REPLACES_ATTRIBUTE, ())
    if isinstance(declared, str) or not isinstance(declared, Iterable):
        raise PluginError(
            f"{REPLACES_ATTRIBUTE} must be a tuple of '<kind>:<name>' strings, got {declared!r}"
        )
    keys = []
    for key in declared:
        kind, sep, name = key.partition(":") if isinstance(key, str) else ("", "", "")
        if not sep or kind not in KIND_KEYS or not name:
            raise PluginError(
                f"{REPLACES_ATTRIBUTE} entry {key!r} is not valid; expected '<kind>:<name>' "
                f"with kind one of {sorted(KIND_KEYS)}"
            )
        keys.append(key)
    return frozenset(keys)


class _Conflict(NamedTuple):
    what: str
    plugins: tuple[LoadedPlugin, ...]
    #: Per plugin, what of it clashes (when ``what`` alone does not say it).
    details: tuple[str, ...] = ()


def pick_winners(
    plugins: Sequence[LoadedPlugin],
) -> tuple[dict[str, tuple[LoadedPlugin, Any]], list[_Conflict]]:
    """Pick one provider per ``"<kind>:<name>"`` key; report clashes instead of guessing.

    An explicit ``register(..., replace=True)`` wins (the latest one if several);
    otherwise a single plugin declaring the key in ``routilux_replaces`` wins;
    otherwise there must be exactly one provider.
    """
    providers: dict[str, list[tuple[LoadedPlugin, Any]]] = {}
    for plugin in plugins:
        for kind, records in plugin.specs.items():
            for spec in records:
                providers.setdefault(f"{kind}:{spec.name}", []).append((plugin, spec))
    winners: dict[str, tuple[LoadedPlugin, Any]] = {}
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


def conflict_message(conflicts: Sequence[_Conflict]) -> str:
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


def build_maps(plugins: Sequence[LoadedPlugin]) -> Maps:
    winners, conflicts = pick_winners(plugins)
    by_kind: dict[str, dict[str, Any]] = {kind.key: {} for kind in KINDS}
    for key, (_plugin, spec) in sorted(winners.items()):
        by_kind[key.partition(":")[0]][spec.name] = spec
    suffixes = _claims(winners, "serializer", "suffixes", "file suffix", conflicts)
    schemes = _claims(winners, "store", "schemes", "store URL scheme", conflicts)
    if conflicts:
        raise PluginError(conflict_message(conflicts))
    return Maps(
        routines=types.MappingProxyType(by_kind["routine"]),
        error_strategies=types.MappingProxyType(by_kind["error_strategy"]),
        serializers=types.MappingProxyType(by_kind["serializer"]),
        executors=types.MappingProxyType(by_kind["executor"]),
        suffixes=types.MappingProxyType(suffixes),
        stores=types.MappingProxyType(by_kind["store"]),
        schemes=types.MappingProxyType(schemes),
    )


def _claims(
    winners: dict[str, tuple[LoadedPlugin, Any]], kind: str, attribute: str, what: str,
    conflicts: list[_Conflict],
) -> dict[str, Any]:
    """Each value of the specs' ``attribute`` (a serializer's suffixes, a store's schemes) -> its spec.

    Two specs claiming one value is a conflict, reported with the others.
    """
    owners: dict[str, list[tuple[LoadedPlugin, Any]]] = {}
    for key, (plugin, spec) in winners.items():
        if key.startswith(f"{kind}:"):
            for value in getattr(spec, attribute):
                owners.setdefault(value.lower(), []).append((plugin, spec))
    claimed: dict[str, Any] = {}
    for value, claimants in sorted(owners.items()):
        if len(claimants) == 1:
            claimed[value] = claimants[0][1]
        else:
            conflicts.append(
                _Conflict(
                    f"{what} {value!r}",
                    tuple(plugin for plugin, _spec in claimants),
                    tuple(f" ({kind} {spec.name!r})" for _plugin, spec in claimants),
                )
            )
    return claimed
