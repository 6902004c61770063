"""Routines that send each input to an event chosen by a condition: ConditionalRouter, DataFilter.

ConditionalRouter is spec §16.8; DataFilter (a predicate splitting inputs into
``output`` and ``rejected``) is beyond the reference. Both keep their conditions
in one config entry that is checked when set and (de)serialized with
:mod:`routilux_std_routines.condition_serialization`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from routilux.routine import Routine
from routilux_std_routines.condition_serialization import deserialize_condition, serialize_condition
from routilux_std_routines.conditions import Condition, check_condition, evaluate_condition

logger = logging.getLogger(__name__)

_ROUTE_PARAMS = ("data", "route")

# Events created while routing may be defined from several worker threads at once.
_define_lock = threading.Lock()


def _ensure_event(routine: Routine, name: str, output_params: Sequence[str]) -> None:
    """Define the event ``name`` on ``routine`` unless it exists (thread-safe)."""
    if routine.get_event(name) is not None:
        return
    with _define_lock:
        if routine.get_event(name) is None:
            routine.define_event(name, list(output_params))


def _route_pairs(routes: Any) -> list[tuple[str, Any]]:
    """``routes`` as ``(name, condition)`` pairs; JSON turns the pairs into lists."""
    pairs = []
    for entry in routes or ():
        try:
            name, condition = entry
        except (TypeError, ValueError):
            raise ValueError(f"a route must be a (name, condition) pair, got {entry!r}") from None
        pairs.append((name, condition))
    return pairs


class _ConditionConfigRoutine(Routine):
    """A routine whose config entry ``condition_key`` holds conditions.

    The entry is checked by ``set_config`` and written and read through the
    condition (de)serialization rather than core's generic config encoding.
    """

    condition_key: ClassVar[str]

    def _check_conditions(self, value: Any) -> None:
        raise NotImplementedError

    def _serialize_conditions(self, value: Any) -> Any:
        raise NotImplementedError

    def _deserialize_conditions(self, raw: Any) -> Any:
        raise NotImplementedError

    def set_config(self, **kwargs: Any) -> None:
        """As :meth:`Routine.set_config`; the conditions are checked first (``ValueError`` if invalid)."""
        if kwargs.get(self.condition_key) is not None:
            self._check_conditions(kwargs[self.condition_key])
        super().set_config(**kwargs)

    def serialize(self) -> dict[str, Any]:
        """The base routine dict with the conditions in serializable form.

        Raises ``ValueError`` naming the condition when one cannot be described.
        """
        data = super().serialize()
        conditions = self._serialize_conditions(self._config.get(self.condition_key))
        return {**data, "_config": {**(data.get("_config") or {}), self.condition_key: conditions}}

    def deserialize(self, data: Mapping[str, Any], registry: Any = None) -> Any:
        """Restore the base fields, then rebuild the conditions (never with ``eval``)."""
        key = self.condition_key
        config = data.get("_config")
        if not isinstance(config, Mapping) or key not in config:
            return super().deserialize(dict(data), registry)
        rest = {name: value for name, value in config.items() if name != key}
        result = super().deserialize({**data, "_config": rest}, registry)
        self._config[key] = self._deserialize_conditions(config[key])
        return result


class ConditionalRouter(_ConditionConfigRoutine):
    """Sends data to the event named after the first (or every) route whose condition holds.

    Slot ``input`` (``data``); event ``output`` (``data``, ``route``) for
    unmatched data, plus one event per route, created by ``add_route`` or on
    first use. Config: ``routes`` (list of ``(name, condition)``),
    ``default_route`` (event for unmatched data instead of ``output``),
    ``route_priority`` (``"first_match"``; anything else emits on every match).

    A condition is an expression string (restricted evaluator with ``data``,
    ``config`` and ``stats``), a dict of expected values, or a callable; see
    :mod:`routilux_std_routines.conditions`. A condition that raises does not match.
    """

    #: The config keys it takes; flow-file validation refuses any other.
    config_keys: ClassVar[frozenset[str]] = frozenset({"routes", "default_route", "route_priority"})
    condition_key = "routes"

    def __init__(self) -> None:
        super().__init__()
        self.set_config(routes=[], default_route=None, route_priority="first_match")
        self.input_slot = self.define_slot("input", self._on_input)
        self.default_output = self.define_event("output", list(_ROUTE_PARAMS))

    def _check_conditions(self, value: Any) -> None:
        for name, condition in _route_pairs(value):
            check_condition(condition, f"route {name!r}")

    def _serialize_conditions(self, value: Any) -> Any:
        return [
            [name, serialize_condition(condition, f"route {name!r}", owner=self)]
            for name, condition in _route_pairs(value)
        ]

    def _deserialize_conditions(self, raw: Any) -> Any:
        return [
            (name, deserialize_condition(condition, f"route {name!r}", owner=self))
            for name, condition in _route_pairs(raw)
        ]

    def add_route(self, route_name: str, condition: Condition) -> None:
        """Append a route and define its event, so it can be connected right away."""
        check_condition(condition, f"route {route_name!r}")
        routes = self._config.get("routes")
        if not isinstance(routes, list):
            routes = list(routes or ())
            self._config["routes"] = routes
        routes.append((route_name, condition))
        _ensure_event(self, route_name, _ROUTE_PARAMS)

    def _on_input(self, data: Any = None, **kwargs: Any) -> None:
        data = self._extract_input_data(data, **kwargs)
        matched = self.matching_routes(data)
        for route in matched:
            _ensure_event(self, route, _ROUTE_PARAMS)
            self.emit(route, data=data, route=route)
        if matched:
            return
        default_route = self.get_config("default_route")
        if default_route:
            _ensure_event(self, default_route, _ROUTE_PARAMS)
            self.emit(default_route, data=data, route=default_route)
        else:
            self.emit("output", data=data, route="unmatched")

    def matching_routes(self, data: Any) -> list[str]:
        """The names of the routes ``data`` goes to (at most one under ``first_match``)."""
        config = self._config
        first_only = config.get("route_priority", "first_match") == "first_match"
        matched = []
        for name, condition in _route_pairs(config.get("routes")):
            try:
                hit = evaluate_condition(condition, data, config)
            except Exception as exc:
                logger.debug("route %r of %r skipped: condition raised %r", name, self, exc)
                continue
            if hit:
                matched.append(name)
                if first_only:
                    break
        return matched


class DataFilter(_ConditionConfigRoutine):
    """Passes on the payloads whose data satisfies a predicate.

    Slot ``input``; events ``output`` (the payload, unchanged) when the
    predicate holds and ``rejected`` (the payload, plus ``filter_error`` when
    the predicate raised) when it does not. Config: ``predicate``, an
    expression string over ``data``/``config``, a dict of expected values or a
    callable, exactly as a ConditionalRouter condition. It serializes like one.
    """

    #: The config keys it takes; flow-file validation refuses any other.
    config_keys: ClassVar[frozenset[str]] = frozenset({"predicate"})
    condition_key = "predicate"

    _WHAT = "DataFilter predicate"

    def __init__(self) -> None:
        super().__init__()
        self.set_config(predicate=None)
        self.input_slot = self.define_slot("input", self._on_input)
        self.output_event = self.define_event("output", ["data"])
        self.rejected_event = self.define_event("rejected", ["data", "filter_error"])

    def _check_conditions(self, value: Any) -> None:
        check_condition(value, self._WHAT)

    def _serialize_conditions(self, value: Any) -> Any:
        return serialize_condition(value, self._WHAT, owner=self)

    def _deserialize_conditions(self, raw: Any) -> Any:
        return deserialize_condition(raw, self._WHAT, owner=self)

    def _on_input(self, **payload: Any) -> None:
        predicate = self._config.get("predicate")
        if predicate is None:
            raise ValueError("DataFilter has no predicate: set_config(predicate=...) first")
        value = self._extract_input_data(**payload)
        try:
            passed = evaluate_condition(predicate, value, self._config)
        except Exception as exc:
            logger.debug("%r rejected an item: predicate raised %r", self, exc)
            self.emit("rejected", **payload, filter_error=f"{type(exc).__name__}: {exc}")
            return
        self.emit("output" if passed else "rejected", **payload)
