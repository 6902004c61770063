"""Finding classes by their ``_type`` name, and creating them, to restore a flow.

A leaf like the rest of this package: it imports nothing of the object model.
Which classes are core's own is said by the layer above all of them,
:mod:`routilux.flow.flow`, with :func:`add_core_classes` when it is imported
(which importing routilux does, so the table is full before any lookup).
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

from routilux.class_registry import lookup_registered, name_conflict
from routilux.serilux_bridge import SERILUX_DECORATOR, serilux_class

__all__ = ["add_core_classes", "constructor_requirement", "instantiate", "resolve_class"]

#: Core's own classes by name (Routine, Slot, ..., Flow), filled by :mod:`routilux.flow.flow`.
_core_classes: dict[str, type] = {}


def add_core_classes(*classes: type) -> None:
    """Make ``classes`` core classes, found first by :func:`resolve_class` under their ``__name__``."""
    for cls in classes:
        _core_classes[cls.__name__] = cls


def resolve_class(type_name: Any, base: type | None = None, *, what: str = "object") -> type[Any]:
    """The class serialized as ``_type == type_name``.

    Looked up, in order, among core's own classes, classes decorated with
    :func:`routilux.register_serializable`, the routine types of the routine
    plugins and, when the user's code has imported serilux, classes decorated
    with ``serilux.register_serializable`` (how routilux 0.10 code registers
    them). Nothing else is found: subclassing alone registers nothing.

    Raises:
        ValueError: no class has that name ("class not found in registry"), or
            serilux holds a different class under a name routilux found first
            (a name clash, naming both classes).
        TypeError: ``type_name`` is not a non-empty string, or the class is not
            a subclass of ``base``.
    """
    if not isinstance(type_name, str) or not type_name:
        raise TypeError(f"{what}: field '_type' must be a non-empty class name, got {type_name!r:.80}")
    cls, how = _routilux_class(type_name)
    companion = serilux_class(type_name)
    if companion is not None:
        if cls is None:
            cls = companion
        elif companion is not cls:
            raise ValueError(f"{what}: {name_conflict(type_name, cls, how, companion, SERILUX_DECORATOR)}")
    if cls is None:
        raise ValueError(
            f"{what}: class not found in registry: {type_name!r}. Decorate the class with "
            f"@routilux.register_serializable (or provide it from a routine plugin) and import the module "
            f"that defines it before deserializing"
        )
    if base is not None and not (isinstance(cls, type) and issubclass(cls, base)):
        raise TypeError(f"{what}: class {type_name!r} ({cls!r}) is not a {base.__name__}")
    return cls


def _routilux_class(type_name: str) -> tuple[type | None, str]:
    """The class routilux itself knows as ``type_name``, and which of its registries holds it."""
    cls = _core_classes.get(type_name)
    if cls is not None:
        return cls, "a routilux core class"
    cls = lookup_registered(type_name)
    if cls is not None:
        return cls, "routilux.register_serializable"
    from routilux.plugins import get_registry

    spec = get_registry().routines.get(type_name)
    if spec is not None:
        return spec.cls, "a routine type of a routine plugin"
    return None, ""


@functools.lru_cache(maxsize=1024)
def constructor_requirement(cls: type) -> str | None:
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
