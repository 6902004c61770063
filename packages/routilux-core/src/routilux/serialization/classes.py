"""Finding classes by their ``_type`` name, and creating them, to restore a flow.

A leaf like the rest of this package: it imports nothing of the object model.
Which classes are core's own is said by the layer above all of them,
:mod:`routilux.flow.flow`, with :func:`add_core_classes` when it is imported
(which ``import routilux`` does, so the table is full before any lookup).
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Dict, Optional, Type

from routilux.class_registry import lookup_registered

__all__ = ["add_core_classes", "constructor_requirement", "instantiate", "resolve_class"]

#: Core's own classes by name (Routine, Slot, ..., Flow), filled by :mod:`routilux.flow.flow`.
_core_classes: Dict[str, type] = {}


def add_core_classes(*classes: type) -> None:
    """Make ``classes`` core classes, found first by :func:`resolve_class` under their ``__name__``."""
    for cls in classes:
        _core_classes[cls.__name__] = cls


def resolve_class(type_name: Any, base: Optional[type] = None, *, what: str = "object") -> Type[Any]:
    """The class serialized as ``_type == type_name``.

    Looked up, in order, among core's own classes, classes decorated with
    :func:`routilux.register_serializable` and the routine types of the routine
    plugins. Nothing else is found: subclassing alone registers nothing.
    Raises ``ValueError`` ("class not found in registry") for an unknown name
    and ``TypeError`` when the class is not a subclass of ``base``.
    """
    if not isinstance(type_name, str) or not type_name:
        raise TypeError(f"{what}: field '_type' must be a non-empty class name, got {type_name!r:.80}")
    cls: Optional[type] = _core_classes.get(type_name) or lookup_registered(type_name)
    if cls is None:
        from routilux.plugins import get_registry

        spec = get_registry().routines.get(type_name)
        cls = spec.cls if spec is not None else None
    if cls is None:
        raise ValueError(
            f"{what}: class not found in registry: {type_name!r}. Decorate the class with "
            f"@routilux.register_serializable (or provide it from a routine plugin) and import the module "
            f"that defines it before deserializing"
        )
    if base is not None and not (isinstance(cls, type) and issubclass(cls, base)):
        raise TypeError(f"{what}: class {type_name!r} ({cls!r}) is not a {base.__name__}")
    return cls


@functools.lru_cache(maxsize=1024)
def constructor_requirement(cls: type) -> Optional[str]:
    """The first argument ``cls()`` cannot do without, or None when it takes no required argument."""
    try:
        parameters = inspect.signature(cls.__init__).parameters.items()  # type: ignore[misc]
    except (TypeError, ValueError):
        return None
    for name, param in parameters:
        if name == "self" or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if param.default is param.empty:
            return name
    return None


def instantiate(cls: type, what: str) -> Any:
    """``cls()``, with a ``TypeError`` naming ``what`` when the constructor needs arguments."""
    required = constructor_requirement(cls)
    if required is not None:
        raise TypeError(
            f"{what}: cannot create {cls.__qualname__}() to restore it: its constructor requires the "
            f"argument {required!r}"
        )
    return cls()
