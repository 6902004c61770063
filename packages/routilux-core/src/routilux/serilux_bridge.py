"""Classes registered with serilux's decorator, for code written against routilux 0.10.

routilux 0.10 built its persistence on the third-party ``serilux`` package, so
0.10 code often decorates its routines with ``serilux.register_serializable``
instead of ``routilux.register_serializable``. :func:`serilux_class` lets the
class lookup of ``Flow.deserialize`` (and so of the stores) find those classes
too.

serilux stays an undeclared, optional companion: routilux never imports it.
The classes are looked up only when the user's code has already imported
serilux, which is the only way such classes can exist; when it has not, the
cost is one ``sys.modules`` lookup per class name resolved (never on the
execution path).
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["SERILUX_DECORATOR", "serilux_class", "serilux_loaded"]

#: How error messages name serilux's decorator.
SERILUX_DECORATOR = "serilux.register_serializable"


def serilux_loaded() -> bool:
    """Whether the user's code has imported serilux (it is in ``sys.modules``)."""
    return sys.modules.get("serilux") is not None


def serilux_class(name: str) -> Any | None:
    """The class serilux's registry holds under ``name``, or None.

    None as well when serilux has not been imported, or when the imported
    version has no ``SerializableRegistry.get_class`` (every serilux release
    so far, 0.1 to 0.5, has it). What the registry returns is not checked
    here: the caller checks it like any other class it found.
    """
    module = sys.modules.get("serilux")
    if module is None:
        return None
    get_class = getattr(getattr(module, "SerializableRegistry", None), "get_class", None)
    if get_class is None:
        return None
    return get_class(name)
