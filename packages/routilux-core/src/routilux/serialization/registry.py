"""Finding classes by ``_type`` name, and objects by id while a structure is restored."""

from __future__ import annotations

import functools
import inspect
from typing import Any, Dict, Mapping, Optional, Type

from routilux.class_registry import lookup_registered

__all__ = ["ObjectRegistry", "constructor_requirement", "resolve_class"]


class ObjectRegistry:
    """Objects by id, for method references (``object_id``) in serialized data.

    ``Flow.deserialize`` creates every routine first and registers it under the
    ``_id`` it had when serialized, then restores slots, whose method handlers
    resolve to those new instances. A child registry looks in its own objects
    first, then in its parent's.
    """

    def __init__(
        self, objects: Optional[Mapping[str, Any]] = None, parent: Optional["ObjectRegistry"] = None
    ):
        self._objects: Dict[str, Any] = dict(objects or {})
        self._parent = parent

    def register(self, object_id: str, obj: Any) -> None:
        """Register ``obj`` under ``object_id`` unless that id is taken (the first one wins)."""
        self._objects.setdefault(object_id, obj)

    def get(self, object_id: str) -> Any:
        found = self._objects.get(object_id)
        if found is None and self._parent is not None:
            return self._parent.get(object_id)
        return found

    def child(self, objects: Mapping[str, Any]) -> "ObjectRegistry":
        return ObjectRegistry(objects, parent=self)

    def __contains__(self, object_id: object) -> bool:
        return isinstance(object_id, str) and self.get(object_id) is not None

    def __repr__(self) -> str:
        return f"ObjectRegistry({sorted(self._objects)})"


@functools.cache
def _core_classes() -> Dict[str, type]:
    # Imported here: this module is imported by the object-model modules' methods.
    from routilux.connection import Connection
    from routilux.error_handler import ErrorHandler
    from routilux.event import Event
    from routilux.execution_tracker import ExecutionTracker
    from routilux.flow.flow import Flow
    from routilux.job_state import ExecutionRecord, JobState
    from routilux.routine import Routine
    from routilux.slot import Slot

    classes = (
        Routine,
        Slot,
        Event,
        Connection,
        Flow,
        JobState,
        ExecutionRecord,
        ErrorHandler,
        ExecutionTracker,
    )
    return {cls.__name__: cls for cls in classes}


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
    cls: Optional[type] = _core_classes().get(type_name) or lookup_registered(type_name)
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
