"""Finding objects by id while a structure is restored.

A leaf: it imports nothing of the object model, which uses it. Finding classes by
``_type`` name is :mod:`routilux.serialization.classes`, above the object model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["ObjectRegistry"]


class ObjectRegistry:
    """Objects by id, for method references (``object_id``) in serialized data.

    ``Flow.deserialize`` creates every routine first and registers it under the
    ``_id`` it had when serialized, then restores slots, whose method handlers
    resolve to those new instances. A child registry looks in its own objects
    first, then in its parent's.
    """

    def __init__(
        self, objects: Mapping[str, Any] | None = None, parent: ObjectRegistry | None = None
    ):
        self._objects: dict[str, Any] = dict(objects or {})
        self._parent = parent

    def register(self, object_id: str, obj: Any) -> None:
        """Register ``obj`` under ``object_id`` unless that id is taken (the first one wins)."""
        self._objects.setdefault(object_id, obj)

    def get(self, object_id: str) -> Any:
        found = self._objects.get(object_id)
        if found is None and self._parent is not None:
            return self._parent.get(object_id)
        return found

    def child(self, objects: Mapping[str, Any]) -> ObjectRegistry:
        return ObjectRegistry(objects, parent=self)

    def __contains__(self, object_id: object) -> bool:
        return isinstance(object_id, str) and self.get(object_id) is not None

    def __repr__(self) -> str:
        return f"ObjectRegistry({sorted(self._objects)})"
