"""Connection: one link from an event to a slot, with an optional parameter mapping."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from routilux.serialization.values import check_type, field, require_mapping

if TYPE_CHECKING:
    from routilux.event import Event
    from routilux.slot import Slot


#: Reference keys ``Flow.serialize`` adds to connection dicts (flow keys and port names).
CONNECTION_REFERENCE_KEYS = (
    "_source_routine_id",
    "_source_event_name",
    "_target_routine_id",
    "_target_slot_name",
)


class Connection:
    """Links ``source_event`` to ``target_slot``.

    ``param_mapping`` is ``{event_param: slot_param}``: mapped names are added
    under their new name, and every key of the data is kept as well, except
    keys that equal a mapping target (the mapped value wins).
    """

    def __init__(
        self,
        source_event: Event | None = None,
        target_slot: Slot | None = None,
        param_mapping: dict[str, str] | None = None,
    ) -> None:
        if param_mapping is not None and not isinstance(param_mapping, dict):
            raise TypeError(
                f"param_mapping must be a dict of event param -> slot param, got {param_mapping!r}"
            )
        self.source_event = source_event
        self.target_slot = target_slot
        self.param_mapping: dict[str, str] = param_mapping or {}
        if source_event is not None and target_slot is not None:
            source_event.connect(target_slot)

    def _apply_mapping(self, data: dict[str, Any]) -> dict[str, Any]:
        mapping = self.param_mapping
        if not mapping:
            return data
        out = {dst: data[src] for src, dst in mapping.items() if src in data}
        targets = mapping.values()
        for key, value in data.items():
            if key not in out and key not in targets:
                out[key] = value
        return out

    def activate(self, data: dict[str, Any]) -> None:
        """Deliver ``data`` (mapped) to the target slot synchronously, with no job."""
        if self.target_slot is None:
            raise ValueError(f"{self!r} has no target slot to activate")
        self.target_slot.receive(self._apply_mapping(data))

    def disconnect(self) -> None:
        """Unlink the event and the slot (idempotent); the connection object stays."""
        if self.source_event is not None and self.target_slot is not None:
            self.source_event.disconnect(self.target_slot)

    def serialize(self) -> dict[str, Any]:
        """``{"_type": "Connection", "param_mapping", "_source_event_name", "_target_slot_name"}``
        (the name keys only for ends that exist; ``Flow.serialize`` adds the routine ids)."""
        return serialize_connection(self)

    def deserialize(self, data: dict[str, Any]) -> Connection:
        """Restore ``param_mapping``; the reference keys are kept as private attributes.

        The ends are not linked here: ``Flow.deserialize`` (or the caller) sets them.
        """
        return deserialize_connection(self, data)

    def __repr__(self) -> str:
        return f"Connection[{self.source_event!r} -> {self.target_slot!r}]"


# -- serialized form ---------------------------------------------------------------------------
# The readers are also used by ``Flow.deserialize``, which links the ends itself.


def serialize_connection(connection: Connection) -> dict[str, Any]:
    data: dict[str, Any] = {"_type": "Connection", "param_mapping": dict(connection.param_mapping)}
    if connection.source_event is not None:
        data["_source_event_name"] = connection.source_event.name
    if connection.target_slot is not None:
        data["_target_slot_name"] = connection.target_slot.name
    return data


def read_param_mapping(data: Mapping[str, Any], what: str) -> dict[str, str]:
    mapping = field(data, "param_mapping", Mapping, what, default={}, nullable=True) or {}
    for key, value in mapping.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(
                f"{what}: field 'param_mapping' must map parameter names to names, "
                f"got {key!r:.40}: {value!r:.40}"
            )
    return dict(mapping)


def read_connection_references(data: Mapping[str, Any], what: str) -> dict[str, str]:
    """The reference keys present with a non-empty string value."""
    refs: dict[str, str] = {}
    for key in CONNECTION_REFERENCE_KEYS:
        value = data.get(key)
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            raise TypeError(
                f"{what}: field {key!r} must be a string, got {type(value).__name__} {value!r:.80}"
            )
        refs[key] = value
    return refs


def deserialize_connection(connection: Connection, data: Any, what: str = "Connection") -> Connection:
    """Restore the mapping and keep the reference keys as private attributes (ends are not linked)."""
    data = require_mapping(data, what)
    check_type(data, "Connection", what, required=False)
    mapping = read_param_mapping(data, what)
    refs = read_connection_references(data, what)
    connection.param_mapping = mapping
    for key in CONNECTION_REFERENCE_KEYS:
        if key in refs:
            setattr(connection, key, refs[key])
        elif key in vars(connection):
            delattr(connection, key)
    return connection
