"""Control flow routine: ConditionalRouter (spec §16.8)."""

from __future__ import annotations

import logging
from typing import Any, ClassVar, Dict, Mapping, Optional

from routilux.routine import Routine
from routilux_std_routines._support import ensure_event, replace_config_entry, split_config_entry
from routilux_std_routines.conditions import (
    Condition,
    check_condition,
    deserialize_condition,
    evaluate_condition,
    route_pairs,
    serialize_condition,
)

logger = logging.getLogger(__name__)

_ROUTE_PARAMS = ("data", "route")


class ConditionalRouter(Routine):
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

    def __init__(self) -> None:
        super().__init__()
        self.set_config(routes=[], default_route=None, route_priority="first_match")
        self.input_slot = self.define_slot("input", self._on_input)
        self.default_output = self.define_event("output", list(_ROUTE_PARAMS))

    def set_config(self, **kwargs: Any) -> None:
        """As :meth:`Routine.set_config`; ``routes`` are checked first (``ValueError`` if invalid)."""
        if "routes" in kwargs:
            for name, condition in route_pairs(kwargs["routes"]):
                check_condition(condition, f"route {name!r}")
        super().set_config(**kwargs)

    def add_route(self, route_name: str, condition: Condition) -> None:
        """Append a route and define its event, so it can be connected right away."""
        check_condition(condition, f"route {route_name!r}")
        routes = self._config.get("routes")
        if not isinstance(routes, list):
            routes = list(routes or ())
            self._config["routes"] = routes
        routes.append((route_name, condition))
        ensure_event(self, route_name, _ROUTE_PARAMS)

    def _on_input(self, data: Any = None, **kwargs: Any) -> None:
        data = self._extract_input_data(data, **kwargs)
        matched = self.matching_routes(data)
        for route in matched:
            ensure_event(self, route, _ROUTE_PARAMS)
            self.emit(route, data=data, route=route)
        if matched:
            return
        default_route = self.get_config("default_route")
        if default_route:
            ensure_event(self, default_route, _ROUTE_PARAMS)
            self.emit(default_route, data=data, route=default_route)
        else:
            self.emit("output", data=data, route="unmatched")

    def matching_routes(self, data: Any) -> list:
        """The names of the routes ``data`` goes to (at most one under ``first_match``)."""
        config = self._config
        first_only = config.get("route_priority", "first_match") == "first_match"
        matched = []
        for name, condition in route_pairs(config.get("routes")):
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

    def serialize(self) -> Dict[str, Any]:
        """The base routine dict with each route condition in serializable form.

        Raises ``ValueError`` naming the route when a condition cannot be described.
        """
        routes = [
            [name, serialize_condition(condition, f"route {name!r}", owner=self)]
            for name, condition in route_pairs(self._config.get("routes"))
        ]
        return replace_config_entry(super().serialize(), "routes", routes)

    def deserialize(self, data: Mapping[str, Any], registry: Optional[Any] = None) -> Any:
        """Restore the base fields, then rebuild the route conditions (never with ``eval``)."""
        rest, has_routes, raw_routes = split_config_entry(data, "routes")
        result = super().deserialize(rest, registry)
        if has_routes:
            self._config["routes"] = [
                (name, deserialize_condition(condition, f"route {name!r}", owner=self))
                for name, condition in route_pairs(raw_routes)
            ]
        return result
