"""A flow document -> a :class:`~routilux.Flow`, with every problem of the document at once."""

from __future__ import annotations

import sys
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from routilux import Flow, Routine
from routilux.job_state import DEFAULT_HISTORY_LIMIT
from routilux_cli.flowfile.locations import Lines, MappingLines, NoLines
from routilux_cli.flowfile.names import resolve_routine_type
from routilux_cli.flowfile.reader import read_document
from routilux_cli.flowfile.report import Reporter, error_text
from routilux_cli.flowfile.routine_shape import config_problems, parameter_problems, slot_names
from routilux_cli.flowfile.schema import (
    ENTRY_KEYS,
    ENTRY_SLOT,
    ROUTINE_KEYS,
    SCHEMA_VERSION,
    TOP_KEYS,
    FlowFileError,
    FlowFileSpec,
    PathLike,
    Problem,
    did_you_mean,
    listing,
)
from routilux_cli.flowfile.settings import read_error_handler, read_executor, read_routine_executor
from routilux_cli.flowfile.wiring import connect_all

__all__ = ["build_flow", "load_flow_file", "validate_flow_file"]

class _Builder:
    """Builds a Flow from a document, collecting every problem instead of stopping at the first."""

    def __init__(self, data: Any, lines: Lines, path: Path | None) -> None:
        self.data = data
        self.path = path
        self.report = Reporter(lines)
        #: every routine id the document declares (a valid id), built or not
        self.declared: set[str] = set()

    def build(self) -> tuple[Flow | None, FlowFileSpec]:
        data, report = self.data, self.report
        default_id = self.path.stem if self.path is not None else "flow"
        if not isinstance(data, dict):
            report.problem("", f"a flow file must be a mapping, got {type(data).__name__}")
            return None, FlowFileSpec(flow_id=default_id, entry=None, path=self.path)
        report.unknown_keys(data, TOP_KEYS, "")
        version = data.get("version", SCHEMA_VERSION)
        if version != SCHEMA_VERSION:
            report.problem("version", f"unsupported version {version!r}; this routilux reads version "
                                      f"{SCHEMA_VERSION}")
        flow_id = data.get("flow_id", default_id)
        if not isinstance(flow_id, str) or not flow_id.strip():
            report.problem("flow_id", f"flow_id must be a non-empty string, got {flow_id!r}")
            flow_id = default_id
        description = data.get("description")
        if description is not None and not isinstance(description, str):
            report.problem("description", "description must be a string")
            description = None
        store = data.get("store")
        if store is not None and (not isinstance(store, str) or not store.strip()):
            report.problem("store", f"store must be a path or URL (a non-empty string), got {store!r}")
            store = None
        executor, max_workers, options = read_executor(report, data.get("executor"))
        history_limit = data.get("history_limit", DEFAULT_HISTORY_LIMIT)
        if history_limit is not None and (
            isinstance(history_limit, bool) or not isinstance(history_limit, int) or history_limit < 0
        ):
            report.problem("history_limit",
                           f"history_limit must be a non-negative integer or null, got {history_limit!r}")
            history_limit = DEFAULT_HISTORY_LIMIT
        flow = Flow(flow_id=flow_id, execution_strategy=executor, max_workers=max_workers,
                    history_limit=history_limit, executor_options=options)
        if "error_handler" in data:
            flow.set_error_handler(read_error_handler(report, data["error_handler"], "error_handler"))
        spec = FlowFileSpec(flow_id=flow_id, entry=None, executor=executor, max_workers=flow.max_workers,
                            executor_options=options, description=description, store=store, path=self.path,
                            document=data)
        self.routines(flow, data.get("routines"), spec)
        edges = connect_all(report, flow, data.get("connections", []), self.declared)
        entry_id = self.entry(flow, data.get("entry"), spec)
        if entry_id is not None:
            self.reachability(flow, [entry_id], edges)
        else:
            # Without a usable entry, check against every routine that could be one.
            roots = [rid for rid, routine in flow.routines.items() if ENTRY_SLOT in slot_names(routine)]
            if roots:
                self.reachability(flow, roots, edges)
        return (flow if not report.problems else None), spec

    def routines(self, flow: Flow, value: Any, spec: FlowFileSpec) -> None:
        report = self.report
        if value is None:
            report.problem("routines",
                           "missing: a flow file needs a 'routines' mapping (id -> {type, config})")
            return
        if not isinstance(value, dict) or not value:
            report.problem("routines", "routines must be a non-empty mapping of routine id -> {type, config}")
            return
        self.declared = {rid for rid in value if isinstance(rid, str) and rid and "." not in rid}
        if self.path is not None:
            directory = str(self.path.resolve().parent)
            if directory not in sys.path:
                sys.path.insert(0, directory)
        for rid, entry in value.items():
            location = f"routines.{rid}"
            if rid not in self.declared:
                report.problem(location, f"routine id {rid!r} must be a non-empty string without '.'")
                continue
            if isinstance(entry, str):
                entry = {"type": entry}
            if not isinstance(entry, dict):
                report.problem(location, "a routine must be a mapping with 'type' (and optionally 'config')")
                continue
            report.unknown_keys(entry, ROUTINE_KEYS, location)
            type_name = entry.get("type")
            if not isinstance(type_name, str) or not type_name:
                report.problem(f"{location}.type", "missing: every routine needs a 'type' "
                                                   "(a registered routine type or 'module:Class')")
                continue
            spec.routine_types[rid] = type_name
            try:
                cls = resolve_routine_type(type_name)
            except Exception as error:
                report.problem(f"{location}.type", error_text(error))
                continue
            try:
                routine = cls()
            except Exception as error:
                report.problem(f"{location}.type", f"{type_name} could not be created with no arguments: "
                                                   f"{error_text(error)}")
                continue
            self.configure(routine, entry.get("config"), f"{location}.config")
            if "error_handler" in entry:
                handler = read_error_handler(report, entry["error_handler"], f"{location}.error_handler")
                if handler is not None:
                    routine.set_error_handler(handler)
            flow.add_routine(routine, rid)
            if "executor" in entry:
                setting = read_routine_executor(report, entry["executor"], f"{location}.executor")
                if setting is not None:
                    name, max_workers, options = setting
                    flow.set_routine_executor(rid, name, max_workers=max_workers, **options)
                    spec.routine_executors[rid] = setting

    def configure(self, routine: Routine, config: Any, location: str) -> None:
        report = self.report
        if config is None:
            return
        if not isinstance(config, dict):
            report.problem(location, "config must be a mapping")
            return
        # Checked after set_config: what a routine accepts may depend on how it is configured.
        checked = config
        config = dict(config)
        routes = config.pop("routes", None) if callable(getattr(routine, "add_route", None)) else None
        if config:
            try:
                routine.set_config(**config)
            except Exception as error:
                report.problem(location, f"rejected by {type(routine).__name__}: {error_text(error)}")
        for where, message in config_problems(routine, checked):
            report.problem(f"{location}.{where}", message)
        default_route = config.get("default_route")
        if routes is not None and isinstance(default_route, str) and routine.get_event(default_route) is None:
            routine.define_event(default_route, ["data", "route"])
        if routes is not None:
            if not isinstance(routes, list):
                report.problem(f"{location}.routes", "routes must be a list of [name, condition] pairs")
                return
            for index, pair in enumerate(routes):
                where = f"{location}.routes[{index}]"
                if isinstance(pair, dict) and set(pair) == {"name", "condition"}:
                    pair = [pair["name"], pair["condition"]]
                if not isinstance(pair, (list, tuple)) or len(pair) != 2 or not isinstance(pair[0], str):
                    report.problem(where, "a route must be [name, condition] (or {name, condition})")
                    continue
                try:
                    routine.add_route(pair[0], pair[1])  # type: ignore[attr-defined]
                except Exception as error:
                    report.problem(where, error_text(error))

    def entry(self, flow: Flow, value: Any, spec: FlowFileSpec) -> str | None:
        """Read ``entry``; returns the id to check reachability from (declared, even if not built)."""
        report = self.report
        if value is None:
            report.problem("entry", "missing: a flow file needs an 'entry' ({routine: <id>, params: {...}})")
            return None
        if isinstance(value, str):
            value = {"routine": value}
        if not isinstance(value, dict):
            report.problem("entry", "entry must be a routine id or a mapping {routine, params}")
            return None
        report.unknown_keys(value, ENTRY_KEYS, "entry")
        params = value.get("params") or {}
        if not isinstance(params, dict):
            report.problem("entry.params", "entry params must be a mapping")
            params = {}
        spec.params = dict(params)
        rid = value.get("routine")
        if not isinstance(rid, str):
            report.problem("entry.routine", "missing: the id of the entry routine")
            return None
        routine = flow.routines.get(rid)
        if routine is None:
            if rid in self.declared:
                return rid  # its own problem is reported where it is declared
            hint = did_you_mean(rid, sorted(self.declared)) or listing(sorted(self.declared), "routines")
            report.problem("entry.routine", f"unknown routine {rid!r}{hint}")
            return None
        if ENTRY_SLOT not in slot_names(routine):
            report.problem("entry.routine",
                           f"routine {rid!r} ({type(routine).__name__}) has no {ENTRY_SLOT!r} slot, so it "
                           f"cannot start a job{listing(slot_names(routine), 'its slots')}; "
                           "start with a FlowInput routine")
            return None
        for key, message in parameter_problems(routine, rid, ENTRY_SLOT, [str(k) for k in params]):
            report.problem(f"entry.params.{key}", message)
        spec.entry = rid
        return rid

    def reachability(self, flow: Flow, roots: list[str], edges: Mapping[str, Collection[str]]) -> None:
        seen = set(roots)
        todo = list(roots)
        while todo:
            for nxt in edges.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        origin = (f"the entry routine {roots[0]!r}" if len(roots) == 1
                  else f"any routine with a {ENTRY_SLOT!r} slot (" + ", ".join(map(repr, roots)) + ")")
        for rid in flow.routines:
            if rid not in seen:
                self.report.problem(f"routines.{rid}", f"routine {rid!r} is not reachable from {origin}: "
                                                       f"no chain of connections leads to it")


def build_flow(
    data: Any, *, path: PathLike | None = None, marks: Lines | Mapping[str, int] | None = None
) -> tuple[Flow | None, FlowFileSpec, list[Problem]]:
    """Build a Flow from a parsed flow document: ``(flow or None, spec, problems)``.

    Args:
        data: The document (plain data, as read from YAML or JSON).
        path: The file it came from: names the flow by default and puts its
            directory on ``sys.path`` for ``module:Class`` types.
        marks: Lines for the problems: what :func:`~.reader.read_document`
            returns, or a plain ``{location: line}`` mapping.
    """
    if marks is None:
        lines: Lines = NoLines()
    elif isinstance(marks, Mapping):
        lines = MappingLines(marks)
    else:
        lines = marks
    builder = _Builder(data, lines, None if path is None else Path(path))
    flow, spec = builder.build()
    return flow, spec, builder.report.problems


def validate_flow_file(path: PathLike) -> list[Problem]:
    """Every problem of the flow file at ``path`` (an empty list when it is valid).

    Raises:
        FlowFileRefused: the file is beyond the reader's limits (see :func:`~.reader.read_document`).
    """
    data, lines, problems = read_document(path)
    if problems:
        return problems
    _flow, _spec, problems = build_flow(data, path=path, marks=lines)
    return problems


def load_flow_file(path: PathLike) -> tuple[Flow, FlowFileSpec]:
    """Build the Flow of a flow file.

    Raises:
        FlowFileError: listing every problem, if it is not valid (``FlowFileRefused``
            when it is beyond the reader's limits).
    """
    data, lines, problems = read_document(path)
    if not problems:
        flow, spec, problems = build_flow(data, path=path, marks=lines)
        if flow is not None and not problems:
            return flow, spec
    raise FlowFileError(path, problems)
