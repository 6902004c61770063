"""The built-in routines of routilux 0.10, resolved lazily from the ``routilux-std-routines`` plugin.

Core ships no routine implementations and never imports the plugin package.
Each name is looked up in the routine registry on first access, so
``from routilux.builtin_routines.text_processing import TextClipper`` and
``routilux.TextClipper`` give the class the installed plugin
registered. Without the plugin, the import fails with an ``ImportError`` that
says what to install.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

DISTRIBUTION = "routilux-std-routines"

#: The names of spec §0.1, per category module.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "text_processing": ("TextClipper", "TextRenderer", "ResultExtractor"),
    "utils": ("TimeProvider", "DataFlattener"),
    "data_processing": ("DataTransformer", "DataValidator"),
    "control_flow": ("ConditionalRouter",),
}

#: Every built-in routine name, in category order.
NAMES: tuple[str, ...] = tuple(name for names in CATEGORIES.values() for name in names)

__all__: list[str] = list(NAMES)


def _resolve(name: str) -> type:
    """The routine class registered under ``name``.

    Raises ``ImportError`` naming the distribution to install when no plugin
    provides it (the registry's reason is chained and quoted).
    """
    from routilux.plugins import get_registry  # the registry loads plugins on first use

    try:
        spec = get_registry().get_routine(name)
    except LookupError as exc:
        raise ImportError(
            f"cannot import name {name!r}: the built-in routines are provided by the {DISTRIBUTION} "
            f"distribution; install it with 'pip install {DISTRIBUTION}' ({exc})",
            name=name,
        ) from exc
    return spec.cls


def lazy_attributes(
    module: str, names: Sequence[str]
) -> tuple[Callable[[str], type], Callable[[], list[str]]]:
    """A module's ``__getattr__`` and ``__dir__`` that resolve ``names`` from the routine registry.

    Used by this package and its category modules, so that each resolves its
    names on first access and a missing plugin surfaces as an ``ImportError``.
    """

    def __getattr__(name: str) -> type:
        if name in names:
            return _resolve(name)
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[module])) | set(names))

    return __getattr__, __dir__


__getattr__, __dir__ = lazy_attributes(__name__, NAMES)
