"""Slot: a named input of a routine, with a handler and a merge strategy."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from routilux.handler_dispatch import KWARGS, Invoker, dispatch_shape, make_invoker
from routilux.job_context import current_job_state
from routilux.serialization.callables import deserialize_callable, serialize_callable
from routilux.serialization.registry import ObjectRegistry
from routilux.serialization.values import check_type, decode_value, encode_value, field, require_mapping

logger = logging.getLogger(__name__)

MergeStrategy = str | Callable[[dict[str, Any], dict[str, Any]], Any] | None


class Slot:
    """An input of a routine.

    Incoming data is merged into ``_data`` with the slot's merge strategy
    (``"override"``, ``"append"`` or a callable ``fn(old, new)``), and the
    merged dict is passed to the handler following the dispatch rules of the
    0.10 API. ``_data`` stays on the slot across calls and jobs.

    ``routine`` is the owning :class:`~routilux.routine.Routine` and
    ``connected_events`` its linked :class:`~routilux.event.Event` objects
    (both typed loosely: those modules sit above this one). ``merge`` and
    ``invoke`` are what the engine calls per activation: the merge chosen by
    the strategy and the handler call shaped once by
    :func:`~routilux.handler_dispatch.make_invoker`. Both are set by the
    ``merge_strategy`` and ``handler`` setters (assign those, not ``merge``
    or ``invoke``); for override (``overrides``) the engine copies the data
    into ``_data`` itself rather than calling ``merge``.
    """

    def __init__(
        self,
        name: str = "",
        routine: Any = None,
        handler: Callable[..., Any] | None = None,
        merge_strategy: MergeStrategy = "override",
    ) -> None:
        self.name = name
        self.routine = routine
        self.connected_events: list[Any] = []
        self._data: dict[str, Any] = {}
        self.handler = handler
        self.merge_strategy = merge_strategy

    # -- handler and strategy: the per-call shape is decided here, once ----------

    @property
    def handler(self) -> Callable[..., Any] | None:
        return self._handler

    @handler.setter
    def handler(self, handler: Callable[..., Any] | None) -> None:
        if handler is not None and not callable(handler):
            raise TypeError(f"handler of {self!r} must be callable or None, got {handler!r}")
        self._handler = handler
        self.invoke: Invoker = make_invoker(handler)
        #: The handler itself when it takes ``**kwargs``: the engine then calls ``unpacked(**merged)``
        #: inline, one call less per activation than ``invoke`` (None for every other shape).
        self.unpacked: Callable[..., Any] | None = handler if dispatch_shape(handler)[0] == KWARGS else None

    @property
    def merge_strategy(self) -> MergeStrategy:
        return self._merge_strategy

    @merge_strategy.setter
    def merge_strategy(self, strategy: MergeStrategy) -> None:
        self._merge_strategy = strategy
        self.merge: Callable[[dict[str, Any]], Any]
        #: True for override: the engine then makes the merge (a copy of the data) inline.
        self.overrides = False
        if strategy == "append":
            self.merge = self._merge_append
        elif callable(strategy):
            self.merge = self._merge_custom
        else:
            # Unknown strings and None behave as override, as in 0.10.
            self.merge = self._merge_override
            self.overrides = True
        if not self.overrides and "_merge_lock" not in self.__dict__:
            # Guards read-modify-write merges (append, custom); override is one store, and a
            # slot that never needs the lock does not pay for making one.
            self._merge_lock = threading.RLock()

    # -- merging -------------------------------------------------------------------

    def _merge_data(self, new_data: dict[str, Any]) -> Any:
        """Merge ``new_data`` into ``_data``; returns what the handler receives (0.10's name of ``merge``)."""
        return self.merge(new_data)

    def _merge_override(self, new_data: dict[str, Any]) -> dict[str, Any]:
        data = dict(new_data)
        self._data = data
        return data

    def _merge_append(self, new_data: dict[str, Any]) -> dict[str, Any]:
        with self._merge_lock:
            stored = self._data
            result: dict[str, Any] = {}
            for key, value in new_data.items():
                existing = stored.get(key, _MISSING)
                if existing is _MISSING:
                    existing = stored[key] = []
                elif not isinstance(existing, list):
                    existing = stored[key] = [existing]
                existing.append(value)
                result[key] = existing
            return result

    def _merge_custom(self, new_data: dict[str, Any]) -> Any:
        merge: Callable[[dict[str, Any], dict[str, Any]], Any] = self._merge_strategy  # type: ignore[assignment]
        with self._merge_lock:
            result = merge(self._data, dict(new_data))
            self._data = result.copy() if isinstance(result, dict) else result
            return result

    # -- links -----------------------------------------------------------------------

    def connect(self, event: Any, param_mapping: dict[str, str] | None = None) -> None:
        """Link this slot and ``event`` both ways (idempotent).

        ``param_mapping`` is accepted for 0.10 compatibility and ignored: a
        mapping belongs to a :class:`~routilux.connection.Connection`.
        """
        if event not in self.connected_events:
            self.connected_events.append(event)
        if self not in event.connected_slots:
            event.connected_slots.append(self)

    def disconnect(self, event: Any) -> None:
        """Remove the link with ``event`` both ways (idempotent)."""
        if event in self.connected_events:
            self.connected_events.remove(event)
        if self in event.connected_slots:
            event.connected_slots.remove(self)

    # -- delivery ------------------------------------------------------------------

    def receive(self, data: dict[str, Any], job_state: Any = None, flow: Any = None) -> None:
        """Merge ``data`` and call the handler; handler errors are logged, never raised.

        With a ``job_state`` the handler sees it through
        ``routilux.routine._current_job_state`` and a failure is reported to
        the flow (``flow`` or the routine's current flow), which records it
        and applies the routine's error handler.
        """
        merged = self.merge(data)
        token = current_job_state.set(job_state) if job_state is not None else None
        try:
            self.invoke(merged)
        except Exception as error:
            logger.exception("Error in handler of %s", slot_label(self))
            if job_state is not None and self.routine is not None:
                owner = flow if flow is not None else getattr(self.routine, "_current_flow", None)
                if owner is not None:
                    owner.router.report_slot_error(self, data, error, job_state)
        finally:
            if token is not None:
                current_job_state.reset(token)

    def call_handler(self, data: dict[str, Any], propagate_exceptions: bool = False) -> None:
        """Merge ``data`` and call the handler in the caller's context."""
        merged = self.merge(data)
        try:
            self.invoke(merged)
        except Exception:
            if propagate_exceptions:
                raise
            logger.exception("Error in handler of %s", slot_label(self))

    # -- serialization -----------------------------------------------------------------

    def serialize(self) -> dict[str, Any]:
        """``{"_type": "Slot", "name", "_data", "handler", "merge_strategy"}``; callables as references."""
        return serialize_slot(self)

    def deserialize(self, data: dict[str, Any], registry: Any = None) -> Slot:
        """Restore from :meth:`serialize` data; callables that cannot be restored become None."""
        return deserialize_slot(self, data, registry)

    # -- pickling (remote executors ship routines to workers) -------------------------

    def __getstate__(self) -> dict[str, Any]:
        """Everything but the lock and the cached call shapes; links to events stay behind."""
        state = self.__dict__.copy()
        for transient in ("_merge_lock", "invoke", "unpacked", "merge", "overrides"):
            state.pop(transient, None)
        state["connected_events"] = []
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.handler = state.get("_handler")
        self.merge_strategy = state.get("_merge_strategy", "override")

    def __repr__(self) -> str:
        if self.routine is not None:
            return f"Slot[{self.routine._id}.{self.name}]"
        return f"Slot[{self.name}]"


_MISSING = object()


def slot_label(slot: Slot) -> str:
    """``pay.input``: the slot named by its routine's id in the routine's current flow.

    Messages name routines as the flow does; a routine outside any flow (or
    unknown to its flow) falls back to the slot's repr, ``Slot[<_id>.<name>]``.
    """
    routine = slot.routine
    flow = getattr(routine, "_current_flow", None) if routine is not None else None
    router = getattr(flow, "router", None)
    routine_id = router.routine_id_of(routine) if router is not None else None
    return f"{routine_id}.{slot.name}" if routine_id else repr(slot)


# -- serialized form ---------------------------------------------------------------------------
# Each reader checks everything it needs before anything is changed, so a failure leaves the
# slot as it was; input data is never mutated.


def serialize_slot(slot: Slot) -> dict[str, Any]:
    where = f"{slot!r}"
    strategy = slot.merge_strategy
    return {
        "_type": "Slot",
        "name": slot.name,
        "_data": encode_value(slot._data, where),
        "handler": serialize_callable(slot.handler),
        "merge_strategy": serialize_callable(strategy) if callable(strategy) else strategy,
    }


class SlotState:
    """A slot's fields read from data, before anything is applied."""

    __slots__ = ("name", "data", "handler", "merge_strategy")

    def __init__(self, name: str, data: Any, handler: Any, merge_strategy: Any) -> None:
        self.name = name
        self.data = data
        self.handler = handler
        self.merge_strategy = merge_strategy


def read_slot(data: Any, what: str, registry: ObjectRegistry | None, owner: Any) -> SlotState:
    """A slot's fields from serialized data, all checked before anything is applied."""
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
    return SlotState(name, slot_data, handler, strategy)


def apply_slot(slot: Slot, state: SlotState, *, keep_handler: bool) -> None:
    """Set ``slot``'s fields from ``state`` (a handler of None is kept when ``keep_handler``)."""
    slot.name = state.name
    slot._data = state.data
    if state.handler is not None or not keep_handler:
        slot.handler = state.handler
    slot.merge_strategy = state.merge_strategy


def deserialize_slot(slot: Slot, data: Any, registry: Any = None, what: str = "Slot") -> Slot:
    """Restore ``slot`` from ``data``; callables that cannot be restored become None."""
    apply_slot(slot, read_slot(data, what, registry, slot.routine), keep_handler=False)
    return slot
