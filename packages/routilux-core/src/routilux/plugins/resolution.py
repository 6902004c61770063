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
from collections.abc import Mapping, Sequence
from typing import Any, Iterable, NamedTuple

from routilux.plugins.discovery import ENV_DISABLE
from routilux.plugins.errors import PluginError
from routilux.plugins.hooks import _KIND_KEYS, KINDS, _Plugin
from routilux.plugins.specs import ErrorStrategySpec, ExecutorSpec, RoutineSpec, SerializerSpec

__all__ = ["REPLACES_ATTRIBUTE"]

#: Attribute a plugin may define to replace names of other plugins on purpose.
REPLACES_ATTRIBUTE = "routilux_replaces"


# NamedTuples rather than attrs classes, which cost about a millisecond each at import.
class _Maps(NamedTuple):
    routines: Mapping[str, RoutineSpec]
    error_strategies: Mapping[str, ErrorStrategySpec]
    serializers: Mapping[str, SerializerSpec]
    executors: Mapping[str, ExecutorSpec]
    suffixes: Mapping[str, SerializerSpec]


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
