"""The serialized form of a Flow: its structure (routines, connections, settings), no job state.

Above the object model, whose classes restore themselves, and below
:mod:`routilux.flow.flow`, which calls :func:`serialize_flow` and installs
what :func:`read_flow` returns; a flow is seen here through the
:class:`SerializableFlow` protocol.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, Protocol

from routilux.connection import Connection, read_connection_references, read_param_mapping
from routilux.error_handler import ErrorHandler, optional_error_handler, serialize_error_handler
from routilux.event import Event
from routilux.plugins import get_registry
from routilux.router import Router
from routilux.routine import Routine
from routilux.serialization.classes import constructor_requirement, instantiate, resolve_class
from routilux.serialization.registry import ObjectRegistry
from routilux.serialization.values import check_type, field, require_mapping
from routilux.slot import Slot


class SerializableFlow(Protocol):
    """What :func:`serialize_flow` reads of a :class:`~routilux.flow.Flow`."""

    flow_id: str
    routines: dict[str, Routine]
    connections: list[Connection]
    execution_strategy: str
    max_workers: int
    execution_timeout: float
    history_limit: int | None
    error_handler: ErrorHandler | None

    @property
    def _paused(self) -> bool: ...  # the 0.10 attribute, written under its 0.10 key

    @property
    def router(self) -> Router: ...


def serialize_flow(flow: SerializableFlow) -> dict[str, Any]:
    """``flow``'s structure as plain data.

    Each connection dict carries the flow keys of its two routines
    (``_source_routine_id``/``_target_routine_id``) besides the port names, so
    flows whose routines share slot or event names restore edge for edge. A
    routine added under several keys is stored under each, the later ones
    marked ``"_same_as": <first key>`` so that they restore as one object.
    """
    routines: dict[str, Any] = {}
    first_key: dict[int, str] = {}
    for key, routine in list(flow.routines.items()):
        required = constructor_requirement(type(routine))  # type: ignore[arg-type]
        if required is not None:
            raise TypeError(
                f"Cannot serialize flow {flow.flow_id!r}: routine {key!r} ({type(routine).__qualname__}) "
                f"could not be restored, because its constructor requires the argument {required!r}; "
                "give every constructor argument a default"
            )
        data = routine.serialize()
        if not isinstance(data, dict):
            raise TypeError(
                f"Cannot serialize flow {flow.flow_id!r}: routine {key!r}.serialize() returned {data!r:.80}"
            )
        same = first_key.setdefault(id(routine), key)
        if same != key:
            data = {**data, "_same_as": same}
        routines[key] = data
    routine_id_of = flow.router.routine_id_of
    connections: list[dict[str, Any]] = []
    for connection in list(flow.connections):
        data = connection.serialize()
        event, slot = connection.source_event, connection.target_slot
        source_id = routine_id_of(event.routine) if event is not None and event.routine is not None else None
        target_id = routine_id_of(slot.routine) if slot is not None and slot.routine is not None else None
        if source_id is None or target_id is None:
            warnings.warn(
                f"Flow {flow.flow_id!r}: {connection!r} links a routine that is not in the flow; "
                "not serialized",
                stacklevel=3,
            )
            continue
        data["_source_routine_id"] = source_id
        data["_target_routine_id"] = target_id
        connections.append(data)
    handler = flow.error_handler
    return {
        "_type": "Flow",
        "flow_id": flow.flow_id,
        "_paused": bool(flow._paused),
        "execution_strategy": flow.execution_strategy,
        "max_workers": flow.max_workers,
        "execution_timeout": flow.execution_timeout,
        "history_limit": flow.history_limit,
        "error_handler": serialize_error_handler(handler) if handler is not None else None,
        "routines": routines,
        "connections": connections,
    }


class FlowStructure:
    """A flow's structure restored from data but not yet installed in a Flow."""

    def __init__(self) -> None:
        self.flow_id: str | None = None
        self.execution_strategy = "sequential"
        self.max_workers = 1
        self.execution_timeout: float | None = None
        self.history_limit: Any = None
        self.has_history_limit = False
        self.error_handler: ErrorHandler | None = None
        self.routines: dict[str, Routine] = {}
        self.routine_ids: dict[Routine, str] = {}
        self.connections: list[Connection] = []
        self.index: dict[tuple[Event, Slot], Connection] = {}


def read_flow(data: Any, registry: ObjectRegistry | None = None) -> FlowStructure:
    """Build a flow's routines and connections from ``data`` without touching any Flow.

    Raises ``ValueError``/``TypeError`` naming the field for malformed data;
    connections whose ends cannot be found are dropped with a warning.
    """
    what = "Flow"
    data = require_mapping(data, what)
    check_type(data, "Flow", what, required=True)
    out = FlowStructure()
    out.flow_id = field(data, "flow_id", str, what, default=None, nullable=True)
    what = f"Flow {out.flow_id!r}" if out.flow_id else "Flow"
    strategy = field(data, "execution_strategy", str, what, default="sequential")
    try:
        get_registry().get_executor(strategy)
    except ValueError as error:
        raise ValueError(
            f"{what}: field 'execution_strategy' is not a known executor: {strategy!r} ({error})"
        ) from None
    out.execution_strategy = strategy
    max_workers = field(data, "max_workers", int, what, default=5)
    if max_workers < 1:
        raise ValueError(f"{what}: field 'max_workers' must be at least 1, got {max_workers!r}")
    out.max_workers = 1 if strategy == "sequential" else max_workers
    timeout = field(data, "execution_timeout", (int, float), what, default=None, nullable=True)
    if timeout is not None and not timeout > 0:
        raise ValueError(f"{what}: field 'execution_timeout' must be positive, got {timeout!r}")
    out.execution_timeout = timeout
    if "history_limit" in data:
        limit = field(data, "history_limit", int, what, nullable=True)
        if limit is not None and limit < 0:
            raise ValueError(f"{what}: field 'history_limit' must not be negative, got {limit!r}")
        out.history_limit, out.has_history_limit = limit, True
    out.error_handler = optional_error_handler(data, "error_handler", what)

    routines_data = field(data, "routines", Mapping, what)
    connections_data = field(data, "connections", list, what)
    if registry is None:
        registry = ObjectRegistry()

    # Phase 1: create every routine and register it under its stored _id, so that method
    # references between routines resolve to the new instances whatever the order.
    pending: list[tuple[str, Routine, Mapping[str, Any], str]] = []
    for key, routine_data in routines_data.items():
        if not isinstance(key, str) or not key:
            raise TypeError(
                f"Failed to deserialize field 'routines' of {what}: routine key {key!r:.80} is not a "
                f"non-empty string"
            )
        routine_what = f"Failed to deserialize field 'routines' of {what}: routine {key!r}"
        routine_data = require_mapping(routine_data, routine_what)
        same_as = routine_data.get("_same_as")
        if same_as is not None:
            if not isinstance(same_as, str) or same_as not in out.routines:
                raise ValueError(
                    f"{routine_what}: field '_same_as' names no earlier routine: {same_as!r:.80}"
                )
            routine = out.routines[same_as]
            out.routines[key] = routine
            continue
        if "_type" not in routine_data:
            raise ValueError(f"{routine_what}: missing field '_type' (the routine's class name)")
        cls = resolve_class(routine_data["_type"], Routine, what=routine_what)
        routine = instantiate(cls, routine_what)
        stored_id = field(routine_data, "_id", str, routine_what, default=routine._id)
        registry.register(stored_id, routine)
        out.routines[key] = routine
        out.routine_ids.setdefault(routine, key)
        pending.append((key, routine, routine_data, routine_what))

    # Phase 2: restore each routine's fields (its own method references resolve to itself).
    for key, routine, routine_data, routine_what in pending:
        try:
            result = routine.deserialize(dict(routine_data), registry)
        except (ValueError, TypeError) as error:
            kind = ValueError if isinstance(error, ValueError) else TypeError
            message = str(error)
            raise kind(
                message if message.startswith(routine_what) else f"{routine_what}: {message}"
            ) from error
        if result is not None and result is not routine and isinstance(result, Routine):
            routine = result  # a deserialize() returning a replacement object
            out.routines[key] = routine
            out.routine_ids.setdefault(routine, key)

    for index, connection_data in enumerate(connections_data):
        _read_connection(out, connection_data, f"{what}, connections[{index}]")
    return out


def _scan(routines: Mapping[str, Routine], name: str, kind: str) -> Any | None:
    """The first routine's port called ``name`` (how 0.10 data without routine ids is resolved)."""
    for routine in routines.values():
        port = (routine._events if kind == "event" else routine._slots).get(name)
        if port is not None:
            return port
    return None


def _read_connection(out: FlowStructure, data: Any, what: str) -> None:
    data = require_mapping(data, what)
    check_type(data, "Connection", what, required=False)
    mapping = read_param_mapping(data, what)
    refs = read_connection_references(data, what)
    event_name = refs.get("_source_event_name")
    slot_name = refs.get("_target_slot_name")
    event = slot = None
    problem = None
    if event_name is None or slot_name is None:
        problem = "it has no source event name or no target slot name"
    else:
        if "_source_routine_id" in refs:
            source = out.routines.get(refs["_source_routine_id"])
            if source is None:
                problem = f"its source routine {refs['_source_routine_id']!r} is not in the flow"
            else:
                event = source._events.get(event_name)
        else:
            event = _scan(out.routines, event_name, "event")
        if "_target_routine_id" in refs:
            target = out.routines.get(refs["_target_routine_id"])
            if target is None:
                problem = problem or f"its target routine {refs['_target_routine_id']!r} is not in the flow"
            else:
                slot = target._slots.get(slot_name)
        else:
            slot = _scan(out.routines, slot_name, "slot")
        if problem is None and event is None:
            problem = f"its source event {event_name!r} was not found"
        if problem is None and slot is None:
            problem = f"its target slot {slot_name!r} was not found"
    if problem is not None:
        warnings.warn(f"{what}: connection dropped, {problem}", stacklevel=4)
        return
    assert event is not None and slot is not None
    connection = Connection(event, slot, mapping)
    out.connections.append(connection)
    out.index[(event, slot)] = connection
