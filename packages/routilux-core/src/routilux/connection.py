"""Connection: one link from an event to a slot, with an optional parameter mapping."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Optional

if TYPE_CHECKING:
    from routilux.event import Event
    from routilux.slot import Slot


class Connection:
    """Links ``source_event`` to ``target_slot``.

    ``param_mapping`` is ``{event_param: slot_param}``: mapped names are added
    under their new name, and every key of the data is kept as well, except
    keys that equal a mapping target (the mapped value wins).
    """

    def __init__(
        self,
        source_event: Optional["Event"] = None,
        target_slot: Optional["Slot"] = None,
        param_mapping: Optional[Dict[str, str]] = None,
    ) -> None:
        if param_mapping is not None and not isinstance(param_mapping, dict):
            raise TypeError(
                f"param_mapping must be a dict of event param -> slot param, got {param_mapping!r}"
            )
        self.source_event = source_event
        self.target_slot = target_slot
        self.param_mapping: Dict[str, str] = param_mapping or {}
        if source_event is not None and target_slot is not None:
            source_event.connect(target_slot)

    def _apply_mapping(self, data: Dict[str, Any]) -> Dict[str, Any]:
        mapping = self.param_mapping
        if not mapping:
            return data
        out = {dst: data[src] for src, dst in mapping.items() if src in data}
        targets = mapping.values()
        for key, value in data.items():
            if key not in out and key not in targets:
                out[key] = value
        return out

    def activate(self, data: Dict[str, Any]) -> None:
        """Deliver ``data`` (mapped) to the target slot synchronously, with no job."""
        if self.target_slot is None:
            raise ValueError(f"{self!r} has no target slot to activate")
        self.target_slot.receive(self._apply_mapping(data))

    def disconnect(self) -> None:
        """Unlink the event and the slot (idempotent); the connection object stays."""
        if self.source_event is not None and self.target_slot is not None:
            self.source_event.disconnect(self.target_slot)

    def serialize(self) -> Dict[str, Any]:
        """``{"_type": "Connection", "param_mapping", "_source_event_name", "_target_slot_name"}``
        (the name keys only for ends that exist; ``Flow.serialize`` adds the routine ids)."""
        from routilux.serialization.model import serialize_connection

        return serialize_connection(self)

    def deserialize(self, data: Dict[str, Any]) -> "Connection":
        """Restore ``param_mapping``; the reference keys are kept as private attributes.

        The ends are not linked here: ``Flow.deserialize`` (or the caller) sets them.
        """
        from routilux.serialization.model import deserialize_connection

        return deserialize_connection(self, data)

    def __repr__(self) -> str:
        return f"Connection[{self.source_event!r} -> {self.target_slot!r}]"
