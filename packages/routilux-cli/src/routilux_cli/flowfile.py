"""Flow files: a flow described in YAML or JSON, and its conversion to and from a :class:`Flow`.

Schema (version 1)
==================

A flow file is one mapping (YAML, or JSON with the same structure)::

    version: 1                      # optional; 1 is the only version
    flow_id: text-pipeline          # optional; default: the file name without its suffix
    description: Clip and shout.    # optional, free text
    executor: sequential            # optional; a name, or a mapping:
    # executor: {name: concurrent, max_workers: 4, options: {idle_timeout: 1.0}}
    history_limit: 1000             # optional; emit records kept per job (0: none, null: all)
    error_handler:                  # optional; the flow-level handler
      strategy: retry               # stop | continue | retry | skip | a registered strategy name
      max_retries: 3
      retry_delay: 0.1              # seconds
      retry_backoff: 2
      is_critical: false
      retryable_exceptions: [ConnectionError, mypkg.errors:Flaky]   # optional
    routines:                       # required: routine id -> routine
      src:
        type: FlowInput             # a registered routine type name (any installed routine plugin) ...
        config: {each: texts, item_key: text}
      clip:
        type: TextClipper
        config: {max_length: 60}
        error_handler: {strategy: continue}   # optional; same keys as above
      work:
        type: mypkg.routines:Worker # ... or ``module:Class`` (a Routine subclass, built with no arguments)
    connections:                    # optional list
      - from: src.output            # <routine id>.<event>
        to: clip.input              # <routine id>.<slot>
        mapping: {item: text}       # optional: event parameter -> slot parameter
    entry:                          # required: the routine whose ``trigger`` slot starts a job
      routine: src
      params: {texts: [hello]}      # optional
    # entry: src                    # shorthand without params

Rules:

* Routine ids may not contain ``.`` (connections name ``<id>.<event>``).
* ``config`` is applied with ``routine.set_config(**config)``. A routine with an
  ``add_route`` method (``ConditionalRouter``) gets its ``routes`` (a list of
  ``[name, condition]`` pairs) through ``add_route``, so the route events exist
  and can be connected; its ``default_route`` event is defined as well.
* ``module:Class`` imports run the module: it is code the user chose to run. The
  directory of the flow file is put on ``sys.path`` (at the front, once) before
  importing, so a flow file can use a module that sits next to it.
* ``executor`` becomes ``Flow(execution_strategy=name, max_workers=...,
  executor_options=options)``; the name must be a registered executor.
* Every routine must be reachable from the entry routine through connections.

:func:`validate_flow_file` reports every problem at once, each with its location
(``routines.clip.type``, ``connections[2].to``, ...) and, when known, its line;
:func:`load_flow_file` raises :class:`FlowFileError` with the same list.
:func:`dump_flow_file` writes a flow built in Python as a flow file.
"""

from __future__ import annotations

import builtins
import difflib
import importlib
import inspect
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Set, Tuple, Type, Union

import yaml

from routilux import ErrorHandler, Flow, Routine
from routilux.error_handler import ErrorStrategy
from routilux.job_state import DEFAULT_HISTORY_LIMIT
from routilux.serialization import atomic_write_bytes

__all__ = [
    "FLOW_FILE_SUFFIXES",
    "FlowFileError",
    "FlowFileSpec",
    "Problem",
    "build_flow",
    "dump_flow_file",
    "flow_to_document",
    "load_flow_file",
    "read_document",
    "resolve_routine_type",
    "validate_flow_file",
]

PathLike = Union[str, "os.PathLike[str]"]

FLOW_FILE_SUFFIXES = (".yaml", ".yml", ".json")
SCHEMA_VERSION = 1

_TOP_KEYS = ("version", "flow_id", "description", "executor", "history_limit", "error_handler",
             "routines", "connections", "entry")
_ROUTINE_KEYS = ("type", "config", "error_handler", "description")
_CONNECTION_KEYS = ("from", "to", "mapping", "param_mapping")
_EXECUTOR_KEYS = ("name", "max_workers", "options")
_HANDLER_KEYS = ("strategy", "max_retries", "retry_delay", "retry_backoff", "is_critical",
                 "retryable_exceptions")
_ENTRY_KEYS = ("routine", "params")


# -- problems -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One problem of a flow file: where (``routines.clip.type``) and what."""

    location: str
    message: str
    line: Optional[int] = None

    def __str__(self) -> str:
        where = self.location or "<file>"
        if self.line is not None:
            where += f" (line {self.line})"
        return f"{where}: {self.message}"

    def to_dict(self) -> Dict[str, Any]:
        return {"location": self.location, "line": self.line, "message": self.message}


class FlowFileError(ValueError):
    """A flow file that cannot be used; ``problems`` lists everything wrong with it."""

    def __init__(self, path: Optional[PathLike], problems: Sequence[Problem]) -> None:
        self.path = None if path is None else Path(path)
        self.problems = list(problems)
        name = str(self.path) if self.path is not None else "flow document"
        lines = [f"{len(self.problems)} problem(s) in {name}:"]
        lines += [f"  {problem}" for problem in self.problems]
        super().__init__("\n".join(lines))


@dataclass
class FlowFileSpec:
    """What a flow file says besides the Flow itself."""

    flow_id: str
    entry: Optional[str]
    params: Dict[str, Any] = field(default_factory=dict)
    executor: str = "sequential"
    max_workers: int = 1
    executor_options: Dict[str, Any] = field(default_factory=dict)
    description: Optional[str] = None
    path: Optional[Path] = None
    document: Dict[str, Any] = field(default_factory=dict)
    #: routine id -> the ``type`` written in the file
    routine_types: Dict[str, str] = field(default_factory=dict)


def _closest(name: str, candidates: Sequence[str]) -> str:
    matches = difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.5)
    if matches:
        return "; did you mean " + " or ".join(repr(m) for m in matches) + "?"
    return ""


def _known(candidates: Sequence[str], what: str) -> str:
    names = sorted(candidates)
    if not names:
        return f" (there are no {what})"
    return f" ({what}: " + ", ".join(names) + ")"


# -- reading --------------------------------------------------------------------------------------


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".json":
        return "json"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    raise ValueError(f"{path}: unknown flow file suffix {path.suffix!r}; "
                     f"use one of {', '.join(FLOW_FILE_SUFFIXES)}")


def _marks(text: str) -> Dict[str, int]:
    """``{location: 1-based line}`` for every key and list item of a YAML (or JSON) text."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    marks: Dict[str, int] = {}

    def walk(node: Any, location: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = str(getattr(key_node, "value", ""))
                child = f"{location}.{key}" if location else key
                marks.setdefault(child, key_node.start_mark.line + 1)
                walk(value_node, child)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                child = f"{location}[{index}]"
                marks.setdefault(child, item.start_mark.line + 1)
                walk(item, child)

    if root is not None:
        walk(root, "")
    return marks


def read_document(path: PathLike) -> Tuple[Any, Dict[str, int], List[Problem]]:
    """Parse a flow file: ``(data, line marks, problems)``; data is None if it does not parse."""
    file = Path(path)
    try:
        kind = _format_of(file)
        text = file.read_text(encoding="utf-8")
    except (OSError, ValueError, UnicodeDecodeError) as error:
        return None, {}, [Problem("", str(error))]
    if kind == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            return None, {}, [Problem("", f"invalid JSON: {error.msg} (column {error.colno})", error.lineno)]
    else:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            return None, {}, [Problem("", f"invalid YAML: {error}".replace("\n", " "), line)]
    return data, _marks(text), []


# -- resolving types --------------------------------------------------------------------------------


def _registry_routines() -> Mapping[str, Any]:
    from routilux.plugins import get_registry

    return get_registry().routines


def resolve_routine_type(name: str) -> Type[Routine]:
    """The Routine class for a flow-file ``type``: a registered name or ``module:Class``.

    Raises ``ValueError`` (unknown name, with the closest registered names),
    ``ImportError`` or ``TypeError`` (not a Routine subclass).
    """
    if ":" in name:
        module_name, _, qualname = name.partition(":")
        if not module_name or not qualname:
            raise ValueError(f"type {name!r} must be 'module:Class'")
        module = importlib.import_module(module_name)
        target: Any = module
        for part in qualname.split("."):
            try:
                target = getattr(target, part)
            except AttributeError:
                raise ValueError(f"module {module_name!r} has no attribute {qualname!r}") from None
        if not (isinstance(target, type) and issubclass(target, Routine)):
            raise TypeError(f"{name!r} is not a Routine subclass")
        return target
    routines = _registry_routines()
    spec = routines.get(name)
    if spec is None:
        hint = _closest(name, list(routines))
        if not hint:
            hint = _known(list(routines), "registered routine types")
        raise ValueError(
            f"unknown routine type {name!r}{hint} (a class of your own is written 'module:Class')"
        )
    cls: Type[Routine] = spec.cls
    return cls


def _resolve_exception(name: str) -> type:
    if ":" in name:
        module_name, _, qualname = name.partition(":")
        target: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            target = getattr(target, part)
    else:
        target = getattr(builtins, name, None)
        if target is None:
            raise ValueError(f"unknown exception {name!r} (a builtin name, or 'module:Class')")
    if not (isinstance(target, type) and issubclass(target, BaseException)):
        raise TypeError(f"{name!r} is not an exception class")
    return target


# -- building ---------------------------------------------------------------------------------------


class _Builder:
    """Builds a Flow from a document, collecting every problem instead of stopping at the first."""

    def __init__(self, data: Any, marks: Mapping[str, int], path: Optional[Path]) -> None:
        self.data = data
        self.marks = marks
        self.path = path
        self.problems: List[Problem] = []

    def problem(self, location: str, message: str) -> None:
        line = self.marks.get(location)
        if line is None:
            # The nearest enclosing location that has a line.
            parent = location
            while line is None and parent:
                cut = max(parent.rfind("."), parent.rfind("["))
                parent = parent[:cut] if cut > 0 else ""
                line = self.marks.get(parent)
        self.problems.append(Problem(location, message, line))

    def unknown_keys(self, value: Mapping[str, Any], allowed: Sequence[str], location: str) -> None:
        for key in value:
            if key not in allowed:
                where = f"{location}.{key}" if location else str(key)
                self.problem(where, f"unknown key {key!r}{_closest(str(key), allowed)} "
                                    f"(allowed: {', '.join(allowed)})")

    # -- sections ------------------------------------------------------------------------------

    def build(self) -> Tuple[Optional[Flow], FlowFileSpec]:
        data = self.data
        default_id = self.path.stem if self.path is not None else "flow"
        if not isinstance(data, dict):
            self.problem("", f"a flow file must be a mapping, got {type(data).__name__}")
            return None, FlowFileSpec(flow_id=default_id, entry=None, path=self.path)
        self.unknown_keys(data, _TOP_KEYS, "")
        version = data.get("version", SCHEMA_VERSION)
        if version != SCHEMA_VERSION:
            self.problem("version", f"unsupported version {version!r}; "
                                    f"this routilux reads version {SCHEMA_VERSION}")
        flow_id = data.get("flow_id", default_id)
        if not isinstance(flow_id, str) or not flow_id.strip():
            self.problem("flow_id", f"flow_id must be a non-empty string, got {flow_id!r}")
            flow_id = default_id
        description = data.get("description")
        if description is not None and not isinstance(description, str):
            self.problem("description", "description must be a string")
            description = None
        executor, max_workers, options = self.executor(data.get("executor"))
        history_limit = data.get("history_limit", DEFAULT_HISTORY_LIMIT)
        if history_limit is not None and (
            isinstance(history_limit, bool) or not isinstance(history_limit, int) or history_limit < 0
        ):
            self.problem("history_limit",
                         f"history_limit must be a non-negative integer or null, got {history_limit!r}")
            history_limit = DEFAULT_HISTORY_LIMIT
        flow = Flow(flow_id=flow_id, execution_strategy=executor, max_workers=max_workers,
                    history_limit=history_limit, executor_options=options)
        if "error_handler" in data:
            flow.set_error_handler(self.error_handler(data["error_handler"], "error_handler"))
        spec = FlowFileSpec(flow_id=flow_id, entry=None, executor=executor, max_workers=flow.max_workers,
                            executor_options=options, description=description, path=self.path, document=data)
        self.routines(flow, data.get("routines"), spec)
        edges = self.connections(flow, data.get("connections", []))
        self.entry(flow, data.get("entry"), spec)
        if spec.entry is not None:
            self.reachability(flow, [spec.entry], edges)
        else:
            # Without a usable entry, check against every routine that could be one.
            roots = [rid for rid, routine in flow.routines.items() if "trigger" in routine._slots]
            if roots:
                self.reachability(flow, roots, edges)
        return (flow if not self.problems else None), spec

    def executor(self, value: Any) -> Tuple[str, int, Dict[str, Any]]:
        from routilux.plugins import PluginError, get_registry

        name: Any = "sequential"
        max_workers: Any = 5
        options: Any = {}
        if value is None:
            pass
        elif isinstance(value, str):
            name = value
        elif isinstance(value, dict):
            self.unknown_keys(value, _EXECUTOR_KEYS, "executor")
            name = value.get("name", "sequential")
            max_workers = value.get("max_workers", 5)
            options = value.get("options", {})
        else:
            self.problem("executor", "executor must be a name or a mapping with name, max_workers, options")
        location = "executor.name" if isinstance(value, dict) else "executor"
        if not isinstance(name, str):
            self.problem(location, f"executor name must be a string, got {name!r}")
            name = "sequential"
        else:
            try:
                executors = get_registry().executors
            except PluginError as error:
                self.problem(location, f"the plugin registry cannot be used: {error}")
            else:
                if name not in executors:
                    hint = _closest(name, list(executors)) or _known(list(executors), "registered executors")
                    self.problem(location, f"unknown executor {name!r}{hint}")
                    name = "sequential"
        if isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers < 1:
            self.problem("executor.max_workers",
                         f"max_workers must be a positive integer, got {max_workers!r}")
            max_workers = 5
        if not isinstance(options, dict):
            self.problem("executor.options", "executor options must be a mapping")
            options = {}
        return name, max_workers, dict(options)

    def error_handler(self, value: Any, location: str) -> Optional[ErrorHandler]:
        if value is None:
            return None
        if isinstance(value, str):
            value = {"strategy": value}
        if not isinstance(value, dict):
            self.problem(location, "an error handler must be a mapping (strategy, max_retries, ...) "
                                   "or a strategy name")
            return None
        self.unknown_keys(value, _HANDLER_KEYS, location)
        kwargs: Dict[str, Any] = {}
        ok = True
        numbers = (("max_retries", int), ("retry_delay", (int, float)), ("retry_backoff", (int, float)))
        for key, kind in numbers:
            if key in value:
                number = value[key]
                if isinstance(number, bool) or not isinstance(number, kind) or number < 0:
                    self.problem(f"{location}.{key}", f"{key} must be a non-negative number, got {number!r}")
                    ok = False
                else:
                    kwargs[key] = number
        if "is_critical" in value:
            if not isinstance(value["is_critical"], bool):
                self.problem(f"{location}.is_critical", "is_critical must be true or false")
                ok = False
            else:
                kwargs["is_critical"] = value["is_critical"]
        if "retryable_exceptions" in value:
            names = value["retryable_exceptions"]
            if isinstance(names, str):
                names = [names]
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                self.problem(f"{location}.retryable_exceptions",
                             "retryable_exceptions must be a list of names")
                ok = False
            else:
                classes = []
                for index, exc_name in enumerate(names):
                    try:
                        classes.append(_resolve_exception(exc_name))
                    except Exception as error:
                        self.problem(f"{location}.retryable_exceptions[{index}]", str(error))
                        ok = False
                kwargs["retryable_exceptions"] = tuple(classes)
        strategy = value.get("strategy", "stop")
        try:
            handler = ErrorHandler(strategy=strategy, **kwargs)
        except (ValueError, TypeError) as error:
            known = [s.value for s in ErrorStrategy]
            try:
                from routilux.plugins import get_registry

                known = sorted(set(known) | set(get_registry().error_strategies))
            except Exception:
                pass
            hint = _closest(str(strategy), known) or _known(known, "strategies")
            self.problem(f"{location}.strategy", f"unknown error strategy {strategy!r}{hint}")
            del error
            return None
        return handler if ok else None

    def routines(self, flow: Flow, value: Any, spec: FlowFileSpec) -> None:
        if value is None:
            self.problem("routines", "missing: a flow file needs a 'routines' mapping (id -> {type, config})")
            return
        if not isinstance(value, dict) or not value:
            self.problem("routines", "routines must be a non-empty mapping of routine id -> {type, config}")
            return
        if self.path is not None:
            directory = str(self.path.resolve().parent)
            if directory not in sys.path:
                sys.path.insert(0, directory)
        for rid, entry in value.items():
            location = f"routines.{rid}"
            if not isinstance(rid, str) or not rid or "." in rid:
                self.problem(location, f"routine id {rid!r} must be a non-empty string without '.'")
                continue
            if isinstance(entry, str):
                entry = {"type": entry}
            if not isinstance(entry, dict):
                self.problem(location, "a routine must be a mapping with 'type' (and optionally 'config')")
                continue
            self.unknown_keys(entry, _ROUTINE_KEYS, location)
            type_name = entry.get("type")
            if not isinstance(type_name, str) or not type_name:
                self.problem(f"{location}.type", "missing: every routine needs a 'type' "
                                                 "(a registered routine type or 'module:Class')")
                continue
            spec.routine_types[rid] = type_name
            try:
                cls = resolve_routine_type(type_name)
            except Exception as error:
                self.problem(f"{location}.type", _error_text(error))
                continue
            try:
                routine = cls()
            except Exception as error:
                self.problem(f"{location}.type", f"{type_name} could not be created with no arguments: "
                                                 f"{_error_text(error)}")
                continue
            self.configure(routine, entry.get("config"), f"{location}.config")
            if "error_handler" in entry:
                handler = self.error_handler(entry["error_handler"], f"{location}.error_handler")
                if handler is not None:
                    routine.set_error_handler(handler)
            flow.add_routine(routine, rid)

    def configure(self, routine: Routine, config: Any, location: str) -> None:
        if config is None:
            return
        if not isinstance(config, dict):
            self.problem(location, "config must be a mapping")
            return
        config = dict(config)
        routes = config.pop("routes", None) if callable(getattr(routine, "add_route", None)) else None
        if config:
            try:
                routine.set_config(**config)
            except Exception as error:
                self.problem(location, f"rejected by {type(routine).__name__}: {_error_text(error)}")
        default_route = config.get("default_route")
        if routes is not None and isinstance(default_route, str) and routine.get_event(default_route) is None:
            routine.define_event(default_route, ["data", "route"])
        if routes is not None:
            if not isinstance(routes, list):
                self.problem(f"{location}.routes", "routes must be a list of [name, condition] pairs")
                return
            for index, pair in enumerate(routes):
                where = f"{location}.routes[{index}]"
                if isinstance(pair, dict) and set(pair) == {"name", "condition"}:
                    pair = [pair["name"], pair["condition"]]
                if not isinstance(pair, (list, tuple)) or len(pair) != 2 or not isinstance(pair[0], str):
                    self.problem(where, "a route must be [name, condition] (or {name, condition})")
                    continue
                try:
                    routine.add_route(pair[0], pair[1])  # type: ignore[attr-defined]
                except Exception as error:
                    self.problem(where, _error_text(error))

    def connections(self, flow: Flow, value: Any) -> Dict[str, Set[str]]:
        edges: Dict[str, Set[str]] = {rid: set() for rid in flow.routines}
        if value is None:
            return edges
        if not isinstance(value, list):
            self.problem("connections", "connections must be a list of {from, to, mapping}")
            return edges
        for index, entry in enumerate(value):
            location = f"connections[{index}]"
            if not isinstance(entry, dict):
                self.problem(location, "a connection must be a mapping with 'from' and 'to'")
                continue
            self.unknown_keys(entry, _CONNECTION_KEYS, location)
            source = self.endpoint(flow, entry.get("from"), f"{location}.from", "event")
            target = self.endpoint(flow, entry.get("to"), f"{location}.to", "slot")
            mapping = entry.get("mapping", entry.get("param_mapping"))
            mapping_location = f"{location}.{'mapping' if 'mapping' in entry else 'param_mapping'}"
            mapping_ok = self.mapping(flow, mapping, source, target, mapping_location)
            if source is None or target is None or not mapping_ok:
                # Count the intended link for reachability, so one mistake is reported once.
                ends = [str(entry.get(key, "")).partition(".")[0] for key in ("from", "to")]
                if ends[0] in edges and ends[1] in flow.routines:
                    edges[ends[0]].add(ends[1])
                continue
            try:
                flow.connect(source[0], source[1], target[0], target[1], dict(mapping) if mapping else None)
            except Exception as error:
                self.problem(location, _error_text(error))
                continue
            edges[source[0]].add(target[0])
        return edges

    def endpoint(self, flow: Flow, value: Any, location: str, kind: str) -> Optional[Tuple[str, str]]:
        if value is None:
            self.problem(location, f"missing: write '<routine id>.<{kind}>'")
            return None
        if not isinstance(value, str) or "." not in value:
            self.problem(location, f"{value!r} must be '<routine id>.<{kind}>'")
            return None
        rid, _, port = value.partition(".")
        routine = flow.routines.get(rid)
        if routine is None:
            declared = self.data.get("routines") if isinstance(self.data, dict) else None
            if isinstance(declared, dict) and rid in declared:
                return None  # the routine itself has a problem, reported there
            hint = _closest(rid, list(flow.routines)) or _known(list(flow.routines), "routines")
            self.problem(location, f"unknown routine {rid!r}{hint}")
            return None
        ports = routine._events if kind == "event" else routine._slots
        if port not in ports:
            hint = _closest(port, list(ports))
            self.problem(location, f"routine {rid!r} ({type(routine).__name__}) has no {kind} {port!r}{hint}"
                                   f"{_known(list(ports), kind + 's')}")
            return None
        return rid, port

    def mapping(self, flow: Flow, mapping: Any, source: Optional[Tuple[str, str]],
                target: Optional[Tuple[str, str]], location: str) -> bool:
        if mapping is None:
            return True
        if not isinstance(mapping, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
        ):
            self.problem(location,
                         "a mapping must map event parameter names to slot parameter names (strings)")
            return False
        ok = True
        if source is not None:
            declared = flow.routines[source[0]]._events[source[1]].output_params
            for key in mapping:
                if declared and key not in declared:
                    self.problem(f"{location}.{key}",
                                 f"event {source[0]}.{source[1]} has no parameter {key!r}"
                                 f"{_closest(key, declared)}{_known(declared, 'its parameters')}")
                    ok = False
        if target is not None:
            accepted = _slot_parameters(flow.routines[target[0]]._slots[target[1]].handler)
            if accepted is not None:
                for key, renamed in mapping.items():
                    if renamed not in accepted:
                        self.problem(f"{location}.{key}", f"slot {target[0]}.{target[1]} takes no parameter "
                                                         f"{renamed!r}{_closest(renamed, accepted)}"
                                                         f"{_known(accepted, 'its parameters')}")
                        ok = False
        return ok

    def entry(self, flow: Flow, value: Any, spec: FlowFileSpec) -> None:
        if value is None:
            self.problem("entry", "missing: a flow file needs an 'entry' ({routine: <id>, params: {...}})")
            return
        if isinstance(value, str):
            value = {"routine": value}
        if not isinstance(value, dict):
            self.problem("entry", "entry must be a routine id or a mapping {routine, params}")
            return
        self.unknown_keys(value, _ENTRY_KEYS, "entry")
        params = value.get("params") or {}
        if not isinstance(params, dict):
            self.problem("entry.params", "entry params must be a mapping")
            params = {}
        spec.params = dict(params)
        rid = value.get("routine")
        if not isinstance(rid, str):
            self.problem("entry.routine", "missing: the id of the entry routine")
            return
        routine = flow.routines.get(rid)
        if routine is None:
            declared = self.data.get("routines") if isinstance(self.data, dict) else None
            if not (isinstance(declared, dict) and rid in declared):
                hint = _closest(rid, list(flow.routines)) or _known(list(flow.routines), "routines")
                self.problem("entry.routine", f"unknown routine {rid!r}{hint}")
            return
        if "trigger" not in routine._slots:
            self.problem("entry.routine",
                         f"routine {rid!r} ({type(routine).__name__}) has no 'trigger' slot, so it cannot "
                         f"start a job{_known(list(routine._slots), 'its slots')}; "
                         "start with a FlowInput routine")
            return
        spec.entry = rid

    def reachability(self, flow: Flow, roots: Sequence[str], edges: Mapping[str, Set[str]]) -> None:
        seen = set(roots)
        todo = list(roots)
        while todo:
            for nxt in edges.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        origin = (f"the entry routine {roots[0]!r}" if len(roots) == 1
                  else "any routine with a 'trigger' slot (" + ", ".join(map(repr, roots)) + ")")
        for rid in flow.routines:
            if rid not in seen:
                self.problem(f"routines.{rid}", f"routine {rid!r} is not reachable from {origin}: "
                                                f"no chain of connections leads to it")


def _slot_parameters(handler: Any) -> Optional[List[str]]:
    """The parameter names a handler takes by name, or None when it takes any (``**kw``, ``data``)."""
    if handler is None:
        return None
    try:
        params = list(inspect.signature(handler).parameters.values())
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    names = [p.name for p in params if p.kind is not inspect.Parameter.VAR_POSITIONAL]
    if names == ["data"] or not names:
        return None
    return names


def _error_text(error: BaseException) -> str:
    text = str(error)
    if isinstance(error, (ImportError, TypeError, AttributeError, KeyError)) or not text:
        return f"{type(error).__name__}: {text}"
    return text


def build_flow(
    data: Any, *, path: Optional[PathLike] = None, marks: Optional[Mapping[str, int]] = None
) -> Tuple[Optional[Flow], FlowFileSpec, List[Problem]]:
    """Build a Flow from a parsed flow document: ``(flow or None, spec, problems)``."""
    builder = _Builder(data, marks or {}, None if path is None else Path(path))
    flow, spec = builder.build()
    return flow, spec, builder.problems


def validate_flow_file(path: PathLike) -> List[Problem]:
    """Every problem of the flow file at ``path`` (an empty list when it is valid)."""
    data, marks, problems = read_document(path)
    if problems:
        return problems
    flow, _spec, problems = build_flow(data, path=path, marks=marks)
    return problems


def load_flow_file(path: PathLike) -> Tuple[Flow, FlowFileSpec]:
    """Build the Flow of a flow file; :class:`FlowFileError` lists every problem if it is not valid."""
    data, marks, problems = read_document(path)
    if not problems:
        flow, spec, problems = build_flow(data, path=path, marks=marks)
        if flow is not None and not problems:
            return flow, spec
    raise FlowFileError(path, problems)


# -- writing ---------------------------------------------------------------------------------------


def _plain(value: Any, location: str) -> Any:
    """``value`` as YAML/JSON data (tuples become lists); ``ValueError`` for anything else."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(item, f"{location}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{location}: key {key!r} is not a string; flow files need string keys")
            out[key] = _plain(item, f"{location}.{key}")
        return out
    raise ValueError(f"{location}: {type(value).__name__} value {value!r} cannot be written to a flow file "
                     f"(only strings, numbers, booleans, null, lists and mappings)")


def _type_name(cls: type, location: str) -> str:
    try:
        for name, spec in _registry_routines().items():
            if spec.cls is cls:
                return str(name)
    except Exception:
        pass
    qualname = cls.__qualname__
    if cls.__module__ == "__main__" or "<locals>" in qualname:
        where = " inside a function" if "<locals>" in qualname else ""
        raise ValueError(f"{location}: class {qualname} is defined in {cls.__module__!r}{where}; a flow file "
                         f"can only refer to a registered routine type or an importable 'module:Class'")
    return f"{cls.__module__}:{qualname}"


def _handler_document(handler: ErrorHandler, location: str) -> Dict[str, Any]:
    strategy = handler.strategy
    doc: Dict[str, Any] = {
        "strategy": strategy.value if isinstance(strategy, ErrorStrategy) else str(strategy),
        "max_retries": handler.max_retries,
        "retry_delay": handler.retry_delay,
        "retry_backoff": handler.retry_backoff,
    }
    if handler.is_critical:
        doc["is_critical"] = True
    if tuple(handler.retryable_exceptions) != (Exception,):
        names = []
        for exc in handler.retryable_exceptions:
            if exc.__module__ == "builtins":
                names.append(exc.__qualname__)
            else:
                names.append(f"{exc.__module__}:{exc.__qualname__}")
        doc["retryable_exceptions"] = names
    return _plain(doc, location)  # type: ignore[no-any-return]


def _config_document(routine: Routine, location: str) -> Dict[str, Any]:
    config = routine.config()
    try:
        defaults = type(routine)().config()
    except Exception:
        defaults = {}
    changed = {}
    for key, value in config.items():
        if key in defaults:
            try:
                if defaults[key] == value:
                    continue
            except Exception:
                pass
        changed[key] = value
    return _plain(changed, location)  # type: ignore[no-any-return]


def flow_to_document(flow: Flow, entry: Optional[str] = None,
                     params: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """The flow-file document (plain data) of ``flow``; ``ValueError`` if it cannot be written.

    Routine types are written as their registered name when the class is a
    registered routine type, else as ``module:Class``; configuration values
    equal to a fresh instance's defaults are left out.
    """
    doc: Dict[str, Any] = {"version": SCHEMA_VERSION, "flow_id": flow.flow_id}
    options = dict(getattr(flow, "executor_options", {}) or {})
    if flow.execution_strategy == "sequential" and not options:
        doc["executor"] = "sequential"
    else:
        executor: Dict[str, Any] = {"name": flow.execution_strategy, "max_workers": flow.max_workers}
        if options:
            executor["options"] = _plain(options, "executor.options")
        doc["executor"] = executor
    history_limit = getattr(flow, "history_limit", DEFAULT_HISTORY_LIMIT)
    if history_limit != DEFAULT_HISTORY_LIMIT:
        doc["history_limit"] = history_limit
    if flow.error_handler is not None:
        doc["error_handler"] = _handler_document(flow.error_handler, "error_handler")
    routines: Dict[str, Any] = {}
    for rid, routine in flow.routines.items():
        location = f"routines.{rid}"
        if "." in rid:
            raise ValueError(f"{location}: routine ids written to a flow file cannot contain '.'")
        described: Dict[str, Any] = {"type": _type_name(type(routine), f"{location}.type")}
        config = _config_document(routine, f"{location}.config")
        if config:
            described["config"] = config
        handler = routine.get_error_handler()
        if handler is not None:
            described["error_handler"] = _handler_document(handler, f"{location}.error_handler")
        routines[rid] = described
    doc["routines"] = routines
    connections = []
    for index, connection in enumerate(flow.connections):
        event, slot = connection.source_event, connection.target_slot
        source_id = flow._get_routine_id(event.routine) if event is not None and event.routine else None
        target_id = flow._get_routine_id(slot.routine) if slot is not None and slot.routine else None
        if source_id is None or target_id is None or event is None or slot is None:
            raise ValueError(f"connections[{index}]: one end is not a routine of this flow")
        described_connection: Dict[str, Any] = {
            "from": f"{source_id}.{event.name}", "to": f"{target_id}.{slot.name}"
        }
        if connection.param_mapping:
            described_connection["mapping"] = dict(connection.param_mapping)
        connections.append(described_connection)
    doc["connections"] = connections
    if entry is not None:
        if entry not in flow.routines:
            raise ValueError(f"entry: {entry!r} is not a routine of flow {flow.flow_id!r}")
        doc["entry"] = {"routine": entry, "params": _plain(dict(params or {}), "entry.params")}
    return doc


def dump_flow_file(flow: Flow, path: PathLike, entry: Optional[str] = None,
                   params: Optional[Mapping[str, Any]] = None) -> Path:
    """Write ``flow`` as a flow file (YAML or JSON by the suffix of ``path``) and return the path."""
    file = Path(path)
    kind = _format_of(file)
    doc = flow_to_document(flow, entry=entry, params=params)
    if kind == "json":
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    else:
        text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, default_flow_style=False)
    # The same atomic write as saved jobs: an interrupted dump leaves the old file whole.
    atomic_write_bytes(file, text.encode("utf-8"))
    return file
