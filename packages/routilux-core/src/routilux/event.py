"""Event: a named output of a routine, linked to slots."""

from __future__ import annotations

from typing import Any

from routilux.job_context import current_job_state
from routilux.router import RouterOwner
from routilux.serialization.values import check_type, field, require_mapping
from routilux.slot import Slot


class Event:
    """An output of a routine. ``output_params`` documents the payload; it is not enforced.

    ``routine`` is the owning :class:`~routilux.routine.Routine` (typed loosely:
    the routine module sits a layer above this one).
    """

    def __init__(self, name: str = "", routine: Any = None, output_params: list[str] | None = None) -> None:
        self.name = name
        self.routine = routine
        self.output_params: list[str] = list(output_params) if output_params else []
        self.connected_slots: list[Slot] = []

    def connect(self, slot: Slot, param_mapping: dict[str, str] | None = None) -> None:
        """Link this event and ``slot`` both ways (idempotent).

        ``param_mapping`` is accepted for 0.10 compatibility and ignored: a
        mapping belongs to a :class:`~routilux.connection.Connection`.
        """
        slot.connect(self)

    def disconnect(self, slot: Slot) -> None:
        """Remove the link with ``slot`` both ways (idempotent)."""
        slot.disconnect(self)

    def emit(self, flow: RouterOwner | None = None, **kwargs: Any) -> None:
        """Send ``kwargs`` to every connected slot.

        Inside a flow (``flow`` or the routine's current flow) each connected
        slot gets an activation queued for the job in ``job_state`` (or the
        current job); without a flow the slots receive the data synchronously,
        unmapped and with no job, in the caller's thread.
        """
        self.send(flow, kwargs)

    def send(self, flow: RouterOwner | None, payload: dict[str, Any]) -> None:
        """:meth:`emit` with the payload as a dict (which becomes the emitted data, not copied).

        A ``"job_state"`` key of ``payload`` names the job (and is removed).
        """
        if flow is None and self.routine is not None:
            flow = getattr(self.routine, "_current_flow", None)
        job_state = payload.pop("job_state", None)
        if flow is None:
            for slot in list(self.connected_slots):
                slot.receive(payload)
        else:
            flow.router.route(self, payload, job_state if job_state is not None else current_job_state.get())

    def serialize(self) -> dict[str, Any]:
        """``{"_type": "Event", "name", "output_params"}``."""
        return serialize_event(self)

    def deserialize(self, data: dict[str, Any], registry: Any = None) -> Event:
        """Restore ``name`` and ``output_params`` (links are restored by ``Flow.deserialize``)."""
        return deserialize_event(self, data)

    def __getstate__(self) -> dict[str, Any]:
        """A pickled event is detached: its links would drag the whole graph along."""
        state = self.__dict__.copy()
        state["connected_slots"] = []
        return state

    def __repr__(self) -> str:
        if self.routine is not None:
            return f"Event[{self.routine._id}.{self.name}]"
        return f"Event[{self.name}]"


# -- serialized form ---------------------------------------------------------------------------


def serialize_event(event: Event) -> dict[str, Any]:
    return {"_type": "Event", "name": event.name, "output_params": list(event.output_params)}


def read_event(data: Any, what: str) -> tuple[str, list[str]]:
    """``(name, output_params)`` from serialized event data, checked (``ValueError``/``TypeError``)."""
    data = require_mapping(data, what)
    check_type(data, "Event", what, required=False)
    name = field(data, "name", str, what, default="")
    params = field(data, "output_params", (list, tuple), what, default=[], nullable=True) or []
    for param in params:
        if not isinstance(param, str):
            raise TypeError(f"{what}: field 'output_params' must hold strings, got {param!r:.80}")
    return name, list(params)


def deserialize_event(event: Event, data: Any, what: str = "Event") -> Event:
    event.name, event.output_params = read_event(data, what)
    return event
