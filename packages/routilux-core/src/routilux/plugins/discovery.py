"""Finding third-party plugins: the ``routilux`` entry points, env filters and strict mode.

Failure handling for entry points
    Each entry point is loaded and registered on its own. If it raises while
    being imported, while pluggy validates it, or inside one of its hooks, it
    is unregistered (none of its records are kept), recorded with
    ``status="error"`` and reported with one ``RuntimeWarning``; the other
    plugins are unaffected. Looking up a name it would have provided fails with
    a :class:`~routilux.plugins.errors.PluginLookupError` naming its
    distribution and exception. With ``ROUTILUX_STRICT_PLUGINS=1`` the failure
    is raised as :class:`~routilux.plugins.errors.PluginError` instead.

Choosing plugins
    ``ROUTILUX_LOAD_PLUGINS`` (comma-separated allowlist; set but empty loads
    none) and ``ROUTILUX_DISABLE_PLUGINS`` (denylist) match an entry point's
    name or its distribution's name and are applied before anything is
    imported. Built-ins are never filtered.

``importlib.metadata`` is imported only when entry points are actually read.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from routilux.plugins.errors import PluginError, describe_error, owner_of
from routilux.plugins.specs import PluginRecord

if TYPE_CHECKING:
    from routilux.plugins.hooks import LoadedPlugin

__all__ = [
    "ENTRY_POINT_GROUP", "ENV_DISABLE", "ENV_LOAD", "ENV_STRICT", "EntryPointLike", "installed_version",
]

#: The one entry-point group third-party plugins are published under.
ENTRY_POINT_GROUP = "routilux"

ENV_LOAD = "ROUTILUX_LOAD_PLUGINS"
ENV_DISABLE = "ROUTILUX_DISABLE_PLUGINS"
ENV_STRICT = "ROUTILUX_STRICT_PLUGINS"

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


class EntryPointLike(Protocol):
    """What the registry needs from an entry point (``importlib.metadata.EntryPoint`` fits)."""

    name: str
    value: str

    def load(self) -> Any: ...


def installed_version(distribution: str) -> str:
    """The installed version of ``distribution``; ``"0+unknown"`` for sources used without installing them."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return "0+unknown"


def _canonical(name: str) -> str:
    # Distribution names compare like pip does: case and -_. are not significant.
    return name.strip().lower().replace("_", "-").replace(".", "-")


def _env_list(variable: str) -> frozenset[str] | None:
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


def _entry_point_distribution(entry_point: Any) -> tuple[str | None, str | None]:
    """``(name, version)`` of the distribution that publishes ``entry_point`` (None, None if unknown).

    An ``importlib.metadata`` distribution parses its whole METADATA file on every read of
    ``name`` or ``version``; both are read from one ``metadata`` parse here, once per entry
    point (the first job of a process pays for discovery). Entry-point-like objects without
    metadata keep their plain attributes.
    """
    dist = getattr(entry_point, "dist", None)
    if dist is None:
        return None, None
    metadata = getattr(dist, "metadata", None)
    if metadata is not None:
        name, version = metadata["Name"], metadata["Version"]
        if name is not None:
            return name, version if version is not None else getattr(dist, "version", None)
    return getattr(dist, "name", None), getattr(dist, "version", None)


def discover_plugins(
    entry_points: Iterable[EntryPointLike] | None,
    load: Callable[[object, PluginRecord, str], LoadedPlugin],
    plugins: list[LoadedPlugin],
    records: list[PluginRecord],
) -> None:
    """Load the entry points (those of the ``routilux`` group if ``entry_points`` is None).

    ``load(obj, record, key)`` registers a loaded entry point and calls its hooks.
    Loaded plugins are appended to ``plugins``; every entry point's record (loaded,
    failed or disabled) to ``records``, as soon as it is known.
    """
    strict = _strict_mode()
    allow = _env_list(ENV_LOAD)
    deny = _env_list(ENV_DISABLE) or frozenset()
    if entry_points is None:
        from importlib.metadata import entry_points as metadata_entry_points

        found: Iterable[Any] = metadata_entry_points(group=ENTRY_POINT_GROUP)
    else:
        found = entry_points
    described = [(entry_point, _entry_point_distribution(entry_point)) for entry_point in found]
    described.sort(key=lambda item: (item[1][0] or "", item[0].name))
    for entry_point, (distribution, version) in described:
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
            _discover_one(entry_point, record, strict, load, plugins, records)
            continue
        records.append(attrs.evolve(record, status="disabled", error=reason))


def _discover_one(
    entry_point: EntryPointLike,
    record: PluginRecord,
    strict: bool,
    load: Callable[[object, PluginRecord, str], LoadedPlugin],
    plugins: list[LoadedPlugin],
    records: list[PluginRecord],
) -> None:
    try:
        try:
            obj = entry_point.load()
        except Exception as exc:
            raise PluginError(
                f"{owner_of(record)} (entry point {record.entry_point!r}) cannot be imported: "
                f"{describe_error(exc)}"
            ) from exc
        loaded = load(obj, record, f"{record.distribution}:{record.name}")
    except PluginError as exc:
        cause = exc.__cause__ if exc.__cause__ is not None else exc
        failed = attrs.evolve(record, status="error", error=describe_error(cause))
        records.append(failed)
        if strict:
            raise
        warnings.warn(
            f"routilux plugin {record.name!r} from {owner_of(record)} failed to load and was "
            f"skipped: {failed.error} (set {ENV_STRICT}=1 to make this an error, or "
            f"{ENV_DISABLE}={record.name} to silence it)",
            RuntimeWarning,
            stacklevel=2,
        )
        return
    plugins.append(loaded)
    records.append(loaded.record)
