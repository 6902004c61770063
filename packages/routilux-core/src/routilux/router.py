"""What the object model asks of whoever runs it: the :class:`Router` protocol.

Events, slots and routines do not know the engine. A routine's
``_current_flow`` (the 0.10 attribute, set while a flow runs it) is anything
with a ``router``: a :class:`~routilux.flow.Flow` (whose router is its engine),
or the stand-in a remote executor puts in place on a worker, which captures
emits instead of routing them. This module imports nothing of routilux, so
every layer can depend on it.
"""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["Router", "RouterOwner"]


class Router(Protocol):
    """Routes emits, hears about handler failures and names routines, for one flow."""

    def route(self, event: Any, data: dict[str, Any], job_state: Any) -> None:
        """Queue one activation of every slot connected to ``event`` for ``job_state`` (may be None)."""

    def report_slot_error(self, slot: Any, data: dict[str, Any], error: Exception, job_state: Any) -> None:
        """A handler called directly through ``Slot.receive(..., job_state=...)`` failed."""

    def routine_id_of(self, routine: Any) -> str | None:
        """The id ``routine`` has in this flow, or None if the flow does not hold it."""


class RouterOwner(Protocol):
    """What ``emit(flow=...)`` and a routine's ``_current_flow`` hold: something with a router."""

    @property
    def router(self) -> Router: ...
