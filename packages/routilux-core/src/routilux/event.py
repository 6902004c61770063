"""Event: a named output of a routine, linked to slots."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from routilux._context import _current_job_state
from routilux.serialization._values import check_type, field, require_mapping

if TYPE_CHECKING:
    from routilux.routine import Routine
    from routilux.slot import Slot


class Event:
    """An output of a routine. ``output_params`` documents the payload; it is not enforced."""

    def __init__(
        self,
        name: str = "",
        routine: Optional["Routine"] = None,
        output_params: Optional[List[str]] = None,
    ) -> None:
        self.name = name
        self.routine = routine
        self.output_params: List[str] = list(output_params) if output_params else []
        self.connected_slots: List["Slot"] = []

    def connect(self, slot: "Slot", param_mapping: Optional[Dict[str, str]] = None) -> None:
        """Link this event and ``slot`` both ways (idempotent). Mapping lives on Connection."""
        slot.connect(self)

    def disconnect(self, slot: "Slot") -> None:
        """Remove the link with ``slot`` both ways (idempotent)."""
        slot.disconnect(self)

    def emit(self, flow: Any = None, **kwargs: Any) -> None:
        """Send ``kwargs`` to every connected slot.

        Inside a flow (``flow`` or the routine's current flow) each connected
        slot gets an activation queued for the job in ``job_state`` (or the
        current job); without a flow the slots receive the data synchronously.
        """
        if flow is None and self.routine is not None:
            flow = getattr(self.routine, "_current_flow", None)
        job_state = kwargs.pop("job_state", None)
        if flow is None:
            self._deliver_now(kwargs)
        else:
            flow._route(self, kwargs, job_state if job_state is not None else _current_job_state.get())

    def _deliver_now(self, payload: Dict[str, Any]) -> None:
        """Outside a flow: every connected slot receives ``payload`` synchronously, unmapped, with no job."""
        for slot in list(self.connected_slots):
            slot.receive(payload)

    def serialize(self) -> Dict[str, Any]:
        """``{"_type": "Event", "name", "output_params"}``."""
        return serialize_event(self)

    def deserialize(self, data: Dict[str, Any], registry: Any = None) -> "Event":
        """Restore ``name`` and ``output_params`` (links are restored by ``Flow.deserialize``)."""
        return deserialize_event(self, data)

    def __getstate__(self) -> Dict[str, Any]:
        """A pickled event is detached: its links would drag the whole graph along."""
        state = self.__dict__.copy()
        state["connected_slots"] = []
        return state

    def __repr__(self) -> str:
        if self.routine is not None:
            return f"Event[{self.routine._id}.{self.name}]"
        return f"Event[{self.name}]"


# -- serialized form ---------------------------------------------------------------------------


def serialize_event(event: "Event") -> Dict[str, Any]:
    return {"_type": "Event", "name": event.name, "output_params": list(event.output_params)}


def _read_event(data: Any, what: str) -> Tuple[str, List[str]]:
    data = require_mapping(data, what)
    check_type(data, "Event", what, required=False)
    name = field(data, "name", str, what, default="")
    params = field(data, "output_params", (list, tuple), what, default=[], nullable=True) or []
    for param in params:
        if not isinstance(param, str):
            raise TypeError(f"{what}: field 'output_params' must hold strings, got {param!r:.80}")
    return name, list(params)


def deserialize_event(event: "Event", data: Any, what: str = "Event") -> "Event":
    event.name, event.output_params = _read_event(data, what)
    return event
