"""The ``connections`` section: ``<routine id>.<event>`` to ``<routine id>.<slot>``, with mappings."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from routilux import Flow
from routilux_cli.flowfile.report import Reporter, error_text
from routilux_cli.flowfile.routine_shape import event_names, slot_names, slot_parameters
from routilux_cli.flowfile.schema import CONNECTION_KEYS, did_you_mean, listing

__all__ = ["connect_all"]


def connect_all(report: Reporter, flow: Flow, value: Any, declared: Collection[str]) -> dict[str, set[str]]:
    """Make the connections of ``value`` in ``flow``; returns the links, routine id -> ids it feeds.

    ``declared`` holds every routine id the file declares, including those
    that could not be built (an unknown type): their problem is reported
    once, where they are declared, and the links through them still count,
    so the routines after them are not reported unreachable as well.
    """
    edges: dict[str, set[str]] = {rid: set() for rid in declared}
    if value is None:
        return edges
    if not isinstance(value, list):
        report.problem("connections", "connections must be a list of {from, to, mapping}")
        return edges
    for index, entry in enumerate(value):
        location = f"connections[{index}]"
        if not isinstance(entry, dict):
            report.problem(location, "a connection must be a mapping with 'from' and 'to'")
            continue
        report.unknown_keys(entry, CONNECTION_KEYS, location)
        source = _endpoint(report, flow, entry.get("from"), f"{location}.from", "event", declared)
        target = _endpoint(report, flow, entry.get("to"), f"{location}.to", "slot", declared)
        mapping = entry.get("mapping", entry.get("param_mapping"))
        mapping_location = f"{location}.{'mapping' if 'mapping' in entry else 'param_mapping'}"
        mapping_ok = _check_mapping(report, flow, mapping, source, target, mapping_location)
        if source is None or target is None or not mapping_ok:
            # Count the intended link for reachability, so one mistake is reported once.
            ends = [str(entry.get(key, "")).partition(".")[0] for key in ("from", "to")]
            if ends[0] in edges and ends[1] in edges:
                edges[ends[0]].add(ends[1])
            continue
        try:
            flow.connect(source[0], source[1], target[0], target[1], dict(mapping) if mapping else None)
        except Exception as error:
            report.problem(location, error_text(error))
            continue
        edges[source[0]].add(target[0])
    return edges


def _endpoint(report: Reporter, flow: Flow, value: Any, location: str, kind: str,
              declared: Collection[str]) -> tuple[str, str] | None:
    if value is None:
        report.problem(location, f"missing: write '<routine id>.<{kind}>'")
        return None
    if not isinstance(value, str) or "." not in value:
        report.problem(location, f"{value!r} must be '<routine id>.<{kind}>'")
        return None
    rid, _, port = value.partition(".")
    routine = flow.routines.get(rid)
    if routine is None:
        if rid in declared:
            return None  # the routine itself has a problem, reported there
        hint = did_you_mean(rid, sorted(declared)) or listing(sorted(declared), "routines")
        report.problem(location, f"unknown routine {rid!r}{hint}")
        return None
    ports = event_names(routine) if kind == "event" else slot_names(routine)
    if port not in ports:
        report.problem(location, f"routine {rid!r} ({type(routine).__name__}) has no {kind} {port!r}"
                                 f"{did_you_mean(port, ports)}{listing(ports, kind + 's')}")
        return None
    return rid, port


def _check_mapping(report: Reporter, flow: Flow, mapping: Any, source: tuple[str, str] | None,
                   target: tuple[str, str] | None, location: str) -> bool:
    if mapping is None:
        return True
    if not isinstance(mapping, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
    ):
        report.problem(location, "a mapping must map event parameter names to slot parameter names (strings)")
        return False
    ok = True
    if source is not None:
        event = flow.routines[source[0]].get_event(source[1])
        declared = list(event.output_params) if event is not None else []
        for key in mapping:
            if declared and key not in declared:
                report.problem(f"{location}.{key}", f"event {source[0]}.{source[1]} has no parameter {key!r}"
                                                    f"{did_you_mean(key, declared)}"
                                                    f"{listing(declared, 'its parameters')}")
                ok = False
    if target is not None:
        slot = flow.routines[target[0]].get_slot(target[1])
        accepted = slot_parameters(getattr(slot, "handler", None))
        if accepted is not None:
            for key, renamed in mapping.items():
                if renamed not in accepted:
                    report.problem(f"{location}.{key}", f"slot {target[0]}.{target[1]} takes no parameter "
                                                        f"{renamed!r}{did_you_mean(renamed, accepted)}"
                                                        f"{listing(accepted, 'its parameters')}")
                    ok = False
    return ok
