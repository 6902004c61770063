"""Pending activations as data: what a paused job saves (``pending_tasks``) and a resume restores.

The dict shape is the 0.10 ``pending_tasks`` entry (spec §9.1), so a job
paused here can be saved, loaded in another process and resumed on a flow of
the same structure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from routilux.engine.activation import Activation

if TYPE_CHECKING:
    from routilux.engine.contracts import FlowHost
    from routilux.job_state import JobState

__all__ = ["describe", "resolve_routine", "restore"]


def _id_of(routine: Any, ids: dict[Any, str]) -> str | None:
    return ids.get(routine, getattr(routine, "_id", None))


def describe(activation: Activation, ids: dict[Any, str]) -> dict[str, Any]:
    """``activation`` as a ``pending_tasks`` entry (``ids``: each routine's id in the flow)."""
    slot, connection = activation.slot, activation.connection
    source = connection.source_event if connection is not None else None
    return {
        "slot_routine_id": _id_of(slot.routine, ids),
        "slot_name": slot.name,
        "data": activation.data,
        "connection_source_routine_id": _id_of(source.routine, ids) if source is not None else None,
        "connection_source_event_name": source.name if source is not None else None,
        "connection_target_routine_id": _id_of(slot.routine, ids) if connection is not None else None,
        "connection_target_slot_name": slot.name if connection is not None else None,
        "param_mapping": dict(connection.param_mapping) if connection is not None else {},
        "priority": 2,
        "retry_count": activation.attempt,
        "max_retries": 0,
        "created_at": None,
        "seq": activation.seq,
    }


def resolve_routine(flow: FlowHost, routine_id: str | None) -> Any:
    """The routine of ``flow`` with that flow id, else the one whose ``_id`` it is, else None."""
    if routine_id is None:
        return None
    routine = flow.routines.get(routine_id)
    if routine is None:
        routine = next((r for r in flow.routines.values() if r._id == routine_id), None)
    return routine


def restore(
    job: JobState, described: list[dict[str, Any]], flow: FlowHost, connections: dict[Any, Any]
) -> list[Activation]:
    """The activations ``described`` stands for, on ``flow``.

    Raises:
        ValueError: an entry names a routine or slot ``flow`` lacks (dropping it would
            complete the job with that work never run).
    """
    restored: list[Activation] = []
    for entry in described:
        routine = resolve_routine(flow, entry.get("slot_routine_id"))
        slot = routine.get_slot(entry.get("slot_name")) if routine is not None else None
        if slot is None:
            raise ValueError(
                f"cannot resume job {job.job_id!r}: it holds a pending activation of "
                f"{entry.get('slot_routine_id')!r}.{entry.get('slot_name')!r}, which names no routine "
                f"or slot of flow {flow.flow_id!r} (its routines: {sorted(flow.routines)}); resume it "
                "on the flow it was saved from"
            )
        connection = None
        source = resolve_routine(flow, entry.get("connection_source_routine_id"))
        if source is not None:
            event = source.get_event(entry.get("connection_source_event_name"))
            if event is not None:
                connection = connections.get((event, slot))
        attempt = int(entry.get("retry_count") or 0)
        seq = int(entry.get("seq") or 0)
        restored.append(Activation(slot, dict(entry.get("data") or {}), connection, job, attempt, seq))
    return restored
