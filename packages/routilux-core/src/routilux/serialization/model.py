"""Serialized forms of the object model: Routine, Slot, Event, Connection, ErrorHandler.

Each ``deserialize_*`` function first reads and checks everything it needs
from the data (raising ``ValueError``/``TypeError`` that name the field and
value), and only then changes the target object, so a failure leaves the
object as it was. Input data is never mutated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Tuple

from routilux.serialization._values import (
    check_type,
    decode_value,
    encode_value,
    field,
    non_negative,
    require_mapping,
)
from routilux.serialization.callables import deserialize_callable, serialize_callable
from routilux.serialization.registry import ObjectRegistry

if TYPE_CHECKING:
    from routilux.connection import Connection
    from routilux.error_handler import ErrorHandler
    from routilux.event import Event
    from routilux.routine import Routine
    from routilux.slot import Slot

#: Reference keys ``Flow.serialize`` adds to connection dicts (flow keys and port names).
CONNECTION_REFERENCE_KEYS = (
    "_source_routine_id",
    "_source_event_name",
    "_target_routine_id",
    "_target_slot_name",
)

_NUMBER = (int, float)


# -- ErrorHandler ----------------------------------------------------------------------------------


def serialize_error_handler(handler: "ErrorHandler") -> Dict[str, Any]:
    return {
        "_type": "ErrorHandler",
        "strategy": handler.strategy_name,
        "max_retries": handler.max_retries,
        "retry_delay": handler.retry_delay,
        "retry_backoff": handler.retry_backoff,
        "retry_count": handler.retry_count,
        "is_critical": handler.is_critical,
    }


def deserialize_error_handler(
    handler: "ErrorHandler", data: Any, what: str = "ErrorHandler"
) -> "ErrorHandler":
    from routilux.error_handler import _strategy_from

    data = require_mapping(data, what)
    check_type(data, "ErrorHandler", what, required=False)
    strategy_value = field(data, "strategy", str, what, default=handler.strategy_name)
    try:
        strategy = _strategy_from(strategy_value)
    except ValueError as error:
        raise ValueError(
            f"{what}: field 'strategy' has the unknown strategy {strategy_value!r}: {error}"
        ) from None
    max_retries = non_negative(
        field(data, "max_retries", int, what, default=handler.max_retries), "max_retries", what
    )
    retry_delay = non_negative(
        field(data, "retry_delay", _NUMBER, what, default=handler.retry_delay), "retry_delay", what
    )
    retry_backoff = non_negative(
        field(data, "retry_backoff", _NUMBER, what, default=handler.retry_backoff), "retry_backoff", what
    )
    retry_count = non_negative(
        field(data, "retry_count", int, what, default=handler.retry_count), "retry_count", what
    )
    is_critical = field(data, "is_critical", bool, what, default=handler.is_critical)
    handler.strategy = strategy
    handler.max_retries = max_retries
    handler.retry_delay = retry_delay
    handler.retry_backoff = retry_backoff
    handler.retry_count = retry_count
    handler.is_critical = is_critical
    return handler


def _optional_error_handler(data: Mapping[str, Any], key: str, what: str) -> Optional["ErrorHandler"]:
    from routilux.error_handler import ErrorHandler

    raw = data.get(key)
    if raw is None:
        return None
    return deserialize_error_handler(ErrorHandler(), raw, f"{what}, field {key!r}")


# -- Slot ------------------------------------------------------------------------------------------


def serialize_slot(slot: "Slot") -> Dict[str, Any]:
    where = f"{slot!r}"
    strategy = slot.merge_strategy
    return {
        "_type": "Slot",
        "name": slot.name,
        "_data": encode_value(slot._data, where),
        "handler": serialize_callable(slot.handler),
        "merge_strategy": serialize_callable(strategy) if callable(strategy) else strategy,
    }


class _SlotState:
    """A slot's fields read from data, before anything is applied."""

    __slots__ = ("name", "data", "handler", "merge_strategy")

    def __init__(self, name: str, data: Any, handler: Any, merge_strategy: Any) -> None:
        self.name = name
        self.data = data
        self.handler = handler
        self.merge_strategy = merge_strategy


def _read_slot(data: Any, what: str, registry: Optional[ObjectRegistry], owner: Any) -> _SlotState:
    data = require_mapping(data, what)
    check_type(data, "Slot", what, required=False)
    name = field(data, "name", str, what, default="")

    def restore(ref: Mapping[str, Any], key: str = "_data") -> Any:
        return deserialize_callable(ref, registry, owner, what=f"{what}, field {key!r}")

    slot_data = decode_value(data.get("_data", {}), f"{what}, field '_data'", restore)
    if slot_data is None:
        slot_data = {}
    handler = restore(data.get("handler"), "handler")
    raw_strategy = data.get("merge_strategy", "override")
    if isinstance(raw_strategy, Mapping):
        strategy: Any = restore(raw_strategy, "merge_strategy")
    elif raw_strategy is None or isinstance(raw_strategy, str):
        # "_custom" is how old files marked a custom function they could not store.
        strategy = "override" if raw_strategy == "_custom" else raw_strategy
    else:
        raise TypeError(
            f"{what}: field 'merge_strategy' must be a strategy name, a callable reference or None, "
            f"got {type(raw_strategy).__name__} {raw_strategy!r:.80}"
        )
    return _SlotState(name, slot_data, handler, strategy)


def _apply_slot(slot: "Slot", state: _SlotState, *, keep_handler: bool) -> None:
    slot.name = state.name
    slot._data = state.data
    if state.handler is not None or not keep_handler:
        slot.handler = state.handler
    slot.merge_strategy = state.merge_strategy


def deserialize_slot(slot: "Slot", data: Any, registry: Any = None, what: str = "Slot") -> "Slot":
    """Restore ``slot`` from ``data``; callables that cannot be restored become None."""
    _apply_slot(slot, _read_slot(data, what, registry, slot.routine), keep_handler=False)
    return slot


# -- Event -----------------------------------------------------------------------------------------


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


# -- Connection ------------------------------------------------------------------------------------


def serialize_connection(connection: "Connection") -> Dict[str, Any]:
    data: Dict[str, Any] = {"_type": "Connection", "param_mapping": dict(connection.param_mapping)}
    if connection.source_event is not None:
        data["_source_event_name"] = connection.source_event.name
    if connection.target_slot is not None:
        data["_target_slot_name"] = connection.target_slot.name
    return data


def read_param_mapping(data: Mapping[str, Any], what: str) -> Dict[str, str]:
    mapping = field(data, "param_mapping", Mapping, what, default={}, nullable=True) or {}
    for key, value in mapping.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(
                f"{what}: field 'param_mapping' must map parameter names to names, "
                f"got {key!r:.40}: {value!r:.40}"
            )
    return dict(mapping)


def read_connection_references(data: Mapping[str, Any], what: str) -> Dict[str, str]:
    """The reference keys present with a non-empty string value."""
    refs: Dict[str, str] = {}
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


def deserialize_connection(connection: "Connection", data: Any, what: str = "Connection") -> "Connection":
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


# -- Routine ---------------------------------------------------------------------------------------


def serialize_routine(routine: "Routine") -> Dict[str, Any]:
    where = f"{routine!r}"
    handler = routine._error_handler
    return {
        "_type": type(routine).__name__,
        "_id": routine._id,
        "_config": encode_value(routine._config, f"{where} _config"),
        "_error_handler": serialize_error_handler(handler) if handler is not None else None,
        "_slots": {name: slot.serialize() for name, slot in list(routine._slots.items())},
        "_events": {name: event.serialize() for name, event in list(routine._events.items())},
    }


def deserialize_routine(
    routine: "Routine", data: Any, registry: Any = None, what: Optional[str] = None
) -> "Routine":
    """Restore ``routine`` in place.

    Existing slots and events of the same name are kept and updated (so
    attributes like ``self.input_slot`` still point into ``_slots``); a slot
    whose stored handler cannot be restored keeps the handler it has.
    Method handlers referring to the stored ``_id`` resolve to ``routine``.
    """
    from routilux.event import Event
    from routilux.slot import Slot

    what = what or f"{type(routine).__name__}"
    data = require_mapping(data, what)
    routine_id = field(data, "_id", str, what, default=routine._id)
    if registry is None:
        registry = ObjectRegistry()
    elif not isinstance(registry, ObjectRegistry):
        raise TypeError(f"{what}: registry must be an ObjectRegistry or None, got {registry!r:.80}")
    scope = registry.child({routine_id: routine})

    def restore(ref: Mapping[str, Any]) -> Any:
        return deserialize_callable(ref, scope, routine, what=f"{what}, field '_config'")

    config = decode_value(
        field(data, "_config", Mapping, what, default={}), f"{what}, field '_config'", restore
    )
    error_handler = _optional_error_handler(data, "_error_handler", what)
    slots_data = field(data, "_slots", Mapping, what, default={})
    slot_states: List[_SlotState] = []
    for key, slot_data in slots_data.items():
        slot_what = f"{what}, slot {key!r}"
        if not isinstance(key, str):
            raise TypeError(f"{what}: field '_slots' has a non-string key {key!r:.80}")
        state = _read_slot(slot_data, slot_what, scope, routine)
        if not state.name:
            state.name = key
        slot_states.append(state)
    events_data = field(data, "_events", Mapping, what, default={})
    event_states: List[Tuple[str, List[str]]] = []
    for key, event_data in events_data.items():
        if not isinstance(key, str):
            raise TypeError(f"{what}: field '_events' has a non-string key {key!r:.80}")
        name, params = _read_event(event_data, f"{what}, event {key!r}")
        event_states.append((name or key, params))

    # Everything is read and checked: apply.
    routine._id = routine_id
    routine._config = config
    routine._error_handler = error_handler
    for state in slot_states:
        slot = routine._slots.get(state.name)
        if slot is None:
            slot = routine._slots[state.name] = Slot(state.name, routine)
            _apply_slot(slot, state, keep_handler=False)
        else:
            _apply_slot(slot, state, keep_handler=True)
        slot.routine = routine
    for name, params in event_states:
        event = routine._events.get(name)
        if event is None:
            event = routine._events[name] = Event(name, routine, params)
        else:
            event.output_params = params
        event.routine = routine
    return routine
