"""A fake plugin environment: entry points that are not installed, and isolated registries.

* :class:`FakeEntryPoint` stands in for an installed ``routilux`` entry point.
* :func:`make_registry` builds an isolated :class:`~routilux.plugins.PluginRegistry`
  from plugin modules and fake entry points, without touching what is installed.
* :func:`use_registry` installs a registry as the process-wide one for a block.
"""

from __future__ import annotations

import functools
import inspect
import threading
import types
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from importlib.metadata import EntryPoint
from typing import Any, cast

from routilux.plugins.discovery import ENTRY_POINT_GROUP, EntryPointLike
from routilux.plugins.manager import DEFAULT_PLUGINS, PluginRegistry, set_registry

__all__ = [
    "FakeDistribution",
    "FakeEntryPoint",
    "load_target",
    "make_registry",
    "use_registry",
]


def load_target(target: str) -> object:
    """Import ``"package.module"`` or ``"package.module:attribute"``.

    It is loaded exactly as an installed entry point with that value would be, so an error
    raised while the module is imported propagates unchanged.
    """
    return EntryPoint(name=target, value=target, group=ENTRY_POINT_GROUP).load()


class FakeDistribution:
    """The ``.dist`` of a :class:`FakeEntryPoint`: just a name and a version."""

    def __init__(self, name: str, version: str | None) -> None:
        self.name = name
        self.version = version

    def __repr__(self) -> str:
        return f"FakeDistribution({self.name!r}, {self.version!r})"


class FakeEntryPoint:
    """An entry point of group ``routilux`` that is not installed anywhere.

    ``target`` says what :meth:`load` does:

    * a string ``"package.module"`` or ``"package.module:attribute"`` is
      imported, exactly like a real entry point (so a module raising at import
      raises from ``load()``);
    * a function, lambda or ``functools.partial`` is called with no arguments
      and its result is the plugin; make it raise to simulate an import error;
    * anything else (a module, a class, an instance) is returned as the plugin.

    ``distribution=None`` gives an entry point without a distribution.
    ``load_count`` counts the calls to :meth:`load`.
    """

    group = ENTRY_POINT_GROUP

    def __init__(
        self,
        name: str,
        target: object,
        *,
        distribution: str | None = "fake-dist",
        version: str | None = "0.0",
        value: str | None = None,
    ) -> None:
        self.name = name
        self.value = value if value is not None else _describe_target(target)
        self.dist = FakeDistribution(distribution, version) if distribution is not None else None
        self.load_count = 0
        self._target = target
        self._lock = threading.Lock()

    def load(self) -> Any:
        """Return the plugin, importing or calling ``target`` as described above."""
        with self._lock:
            self.load_count += 1
        target = self._target
        if isinstance(target, str):
            return load_target(target)
        if _is_loader(target):
            return cast(Callable[[], Any], target)()
        return target

    def __repr__(self) -> str:
        return f"FakeEntryPoint({self.name!r}, value={self.value!r}, dist={self.dist!r})"


def _is_loader(target: object) -> bool:
    return inspect.isroutine(target) or isinstance(target, functools.partial)


def _describe_target(target: object) -> str:
    if isinstance(target, str):
        return target
    if isinstance(target, types.ModuleType):
        return target.__name__
    named = target if (_is_loader(target) or isinstance(target, type)) else type(target)
    module = getattr(named, "__module__", None) or "<unknown>"
    return f"{module}:{getattr(named, '__qualname__', repr(named))}"


def make_registry(
    *plugins: object,
    entry_points: Iterable[EntryPointLike] = (),
    builtins: Iterable[object] = DEFAULT_PLUGINS,
) -> PluginRegistry:
    """An isolated registry: ``builtins``, then ``plugins`` registered in code, and
    only the given ``entry_points`` (installed ones are never read).

    Args:
        plugins: plugin objects or ``"module[:attr]"`` paths.
        entry_points: what the registry finds instead of the installed ``routilux`` group.
        builtins: pass ``()`` for a registry without core's executors and error strategies.

    Raises:
        routilux.plugins.PluginError: a plugin cannot be imported or registered.
    """
    registry = PluginRegistry(builtins=builtins, entry_points=tuple(entry_points))
    for plugin in plugins:
        registry.register(plugin)
    return registry


@contextmanager
def use_registry(registry: PluginRegistry) -> Iterator[PluginRegistry]:
    """Make ``registry`` the process-wide registry inside the ``with`` block.

    The previous one (possibly none yet) is restored afterwards, also on errors.
    """
    previous = set_registry(registry)
    try:
        yield registry
    finally:
        set_registry(previous)
