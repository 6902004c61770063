"""Routine: a unit of work with named input slots and output events."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from routilux.error_handler import (
    ErrorHandler,
    ErrorStrategy,
    optional_error_handler,
    serialize_error_handler,
)
from routilux.event import Event, read_event
from routilux.job_context import current_job_state
from routilux.serialization.callables import deserialize_callable
from routilux.serialization.registry import ObjectRegistry
from routilux.serialization.values import decode_value, encode_value, field, require_mapping
from routilux.slot import MergeStrategy, Slot, SlotState, apply_slot, read_slot

__all__ = ["ExecutionContext", "Routine", "_current_job_state"]

#: The 0.10 name of :data:`routilux.job_context.current_job_state` (tests call ``.get(None)`` on it).
_current_job_state = current_job_state

# A process-wide counter keeps default ids unique (``hex(id(self))`` can repeat
# once an object is garbage collected).
_ids = itertools.count(1)


class ExecutionContext(NamedTuple):
    """Where a handler runs: its flow, its job and its id in that flow."""

    flow: Any
    job_state: Any
    routine_id: str


class Routine:
    """Base class for routines.

    Subclasses define slots and events in ``__init__``::

        class Doubler(Routine):
            def __init__(self):
                super().__init__()
                self.define_slot("input", handler=self.on_input)
                self.define_event("output", ["value"])

            def on_input(self, value=None, **kw):
                self.emit("output", value=value * 2)
    """

    def __init__(self) -> None:
        self._id: str = f"r{next(_ids)}"
        self._slots: dict[str, Slot] = {}
        self._events: dict[str, Event] = {}
        self._config: dict[str, Any] = {}
        self._error_handler: ErrorHandler | None = None
        self._current_flow: Any = None

    # -- structure ---------------------------------------------------------------------

    def define_slot(
        self,
        name: str,
        handler: Callable[..., Any] | None = None,
        merge_strategy: MergeStrategy = "override",
    ) -> Slot:
        """Create the input slot ``name``; its handler's call shape is fixed here."""
        if name in self._slots:
            raise ValueError(f"Slot '{name}' already exists in {self!r}")
        slot = Slot(name, self, handler, merge_strategy)
        self._slots[name] = slot
        return slot

    def define_event(self, name: str, output_params: list[str] | None = None) -> Event:
        """Create the output event ``name``; ``output_params`` only documents its payload."""
        if name in self._events:
            raise ValueError(f"Event '{name}' already exists in {self!r}")
        event = Event(name, self, output_params or [])
        self._events[name] = event
        return event

    def get_slot(self, name: str) -> Slot | None:
        return self._slots.get(name)

    def get_event(self, name: str) -> Event | None:
        return self._events.get(name)

    # -- configuration -------------------------------------------------------------------

    def set_config(self, **kwargs: Any) -> None:
        self._config.update(kwargs)

    def get_config(self, key: str, default: Any = None) -> Any:
        return self._config.get(key, default)

    def config(self) -> dict[str, Any]:
        """A shallow copy of the configuration."""
        return dict(self._config)

    # -- error handling -------------------------------------------------------------------

    def set_error_handler(self, error_handler: ErrorHandler | None) -> None:
        self._error_handler = error_handler

    def get_error_handler(self) -> ErrorHandler | None:
        return self._error_handler

    def set_as_optional(self, strategy: Any = None) -> None:
        """Failures of this routine are tolerated (CONTINUE unless ``strategy`` says SKIP)."""
        self._error_handler = ErrorHandler(strategy=strategy or ErrorStrategy.CONTINUE, is_critical=False)

    def set_as_critical(
        self, max_retries: int = 3, retry_delay: float = 1.0, retry_backoff: float = 2.0
    ) -> None:
        """Failures of this routine are retried, then fail the job."""
        self._error_handler = ErrorHandler(
            strategy=ErrorStrategy.RETRY,
            max_retries=max_retries,
            retry_delay=retry_delay,
            retry_backoff=retry_backoff,
            is_critical=True,
        )

    # -- emitting ----------------------------------------------------------------------------

    def emit(self, event_name: str, flow: Any = None, **kwargs: Any) -> None:
        """Emit ``event_name`` with ``kwargs`` as payload.

        In a flow this queues one activation per connected slot for the
        current job and returns at once; outside a flow connected slots
        receive the payload synchronously.
        """
        event = self._events.get(event_name)
        if event is None:
            raise ValueError(
                f"Event '{event_name}' does not exist in {self!r}{_in_flow(self)}; "
                f"defined events: {sorted(self._events)}"
            )
        if flow is None:
            flow = self._current_flow
        if flow is None:
            event.send(None, kwargs)  # no flow: the connected slots receive it here and now
            return
        # Event.send's flow path, written out: one call less per emit on the hot path.
        job_state = kwargs.pop("job_state", None)
        flow.router.route(event, kwargs, job_state if job_state is not None else current_job_state.get())

    def _extract_input_data(self, data: Any = None, **kwargs: Any) -> Any:
        """The payload of a ``**kwargs`` handler: ``data``, else the one kwarg, else all of them."""
        if data is not None:
            return data
        if "data" in kwargs:
            return kwargs["data"]
        if len(kwargs) == 1:
            return next(iter(kwargs.values()))
        if kwargs:
            return kwargs
        return {}

    # -- execution context -------------------------------------------------------------------

    def get_execution_context(self) -> ExecutionContext | None:
        """The flow, job and id this routine runs under, or None outside a handler."""
        flow = getattr(self, "_current_flow", None)
        job_state = current_job_state.get()
        if flow is None or job_state is None:
            return None
        routine_id = flow.router.routine_id_of(self)
        if routine_id is None:
            return None
        return ExecutionContext(flow, job_state, routine_id)

    def emit_deferred_event(self, event_name: str, **kwargs: Any) -> None:
        """Keep ``event_name`` in the job, to be emitted when the job is resumed."""
        ctx = self.get_execution_context()
        if ctx is None:
            raise RuntimeError(
                f"Cannot emit deferred event: not in execution context ({self!r} has no current flow and job)"
            )
        ctx.job_state.add_deferred_event(ctx.routine_id, event_name, kwargs)

    def send_output(self, output_type: str, **data: Any) -> None:
        """Send ``data`` to the job's output handler."""
        ctx = self.get_execution_context()
        if ctx is None:
            raise RuntimeError(
                f"Cannot send output: not in execution context ({self!r} has no current flow and job)"
            )
        ctx.job_state.send_output(ctx.routine_id, output_type, data)

    # -- serialization -----------------------------------------------------------------------

    def serialize(self) -> dict[str, Any]:
        """``{"_type": <class name>, "_id", "_config", "_error_handler", "_slots", "_events"}``.

        Callables (handlers, merge strategies, callables in the config) are
        stored as references (see :mod:`routilux.serialization.callables`).
        """
        return serialize_routine(self)

    def deserialize(self, data: dict[str, Any], registry: Any = None) -> Routine:
        """Restore this routine in place from :meth:`serialize` data.

        Slots and events that already exist (defined by ``__init__``) are kept
        and updated; method handlers stored for this routine's ``_id`` resolve
        to ``self``; a handler that cannot be restored leaves the existing one.
        ``registry`` (an :class:`~routilux.serialization.ObjectRegistry`)
        resolves references to other routines of a flow being restored.
        """
        return deserialize_routine(self, data, registry)

    def __call__(self, **kwargs: Any) -> None:
        """Deprecated no-op kept for 0.10 compatibility; flows call slots, not routines."""

    def __getstate__(self) -> dict[str, Any]:
        """Pickles without the current flow (threads and locks); events and slots come detached."""
        state = self.__dict__.copy()
        state["_current_flow"] = None
        return state

    def __repr__(self) -> str:
        return f"{type(self).__name__}[{self._id}]"


def _in_flow(routine: Routine) -> str:
    """`` (routine 'pay' of its flow)`` when the routine's current flow knows it, else ``""``."""
    router = getattr(getattr(routine, "_current_flow", None), "router", None)
    routine_id = router.routine_id_of(routine) if router is not None else None
    return f" (routine {routine_id!r} of its flow)" if routine_id else ""


# -- serialized form ---------------------------------------------------------------------------


def serialize_routine(routine: Routine) -> dict[str, Any]:
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
    routine: Routine, data: Any, registry: Any = None, what: str | None = None
) -> Routine:
    """Restore ``routine`` in place.

    Existing slots and events of the same name are kept and updated (so
    attributes like ``self.input_slot`` still point into ``_slots``); a slot
    whose stored handler cannot be restored keeps the handler it has.
    Method handlers referring to the stored ``_id`` resolve to ``routine``.
    """
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
    error_handler = optional_error_handler(data, "_error_handler", what)
    slots_data = field(data, "_slots", Mapping, what, default={})
    slot_states: list[SlotState] = []
    for key, slot_data in slots_data.items():
        slot_what = f"{what}, slot {key!r}"
        if not isinstance(key, str):
            raise TypeError(f"{what}: field '_slots' has a non-string key {key!r:.80}")
        state = read_slot(slot_data, slot_what, scope, routine)
        if not state.name:
            state.name = key
        slot_states.append(state)
    events_data = field(data, "_events", Mapping, what, default={})
    event_states: list[tuple[str, list[str]]] = []
    for key, event_data in events_data.items():
        if not isinstance(key, str):
            raise TypeError(f"{what}: field '_events' has a non-string key {key!r:.80}")
        name, params = read_event(event_data, f"{what}, event {key!r}")
        event_states.append((name or key, params))

    # Everything is read and checked: apply.
    routine._id = routine_id
    routine._config = config
    routine._error_handler = error_handler
    for state in slot_states:
        slot = routine._slots.get(state.name)
        if slot is None:
            slot = routine._slots[state.name] = Slot(state.name, routine)
            apply_slot(slot, state, keep_handler=False)
        else:
            apply_slot(slot, state, keep_handler=True)
        slot.routine = routine
    for name, params in event_states:
        event = routine._events.get(name)
        if event is None:
            event = routine._events[name] = Event(name, routine, params)
        else:
            event.output_params = params
        event.routine = routine
    return routine
