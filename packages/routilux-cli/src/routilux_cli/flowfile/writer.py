"""A :class:`~routilux.Flow` built in Python -> a flow document, and that document written to a file."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from routilux import ErrorHandler, Flow, Routine
from routilux.error_handler import ErrorStrategy
from routilux.job_state import DEFAULT_HISTORY_LIMIT
from routilux.serialization import atomic_write_bytes
from routilux_cli.flowfile.limits import MAX_DEPTH
from routilux_cli.flowfile.names import routine_type_name
from routilux_cli.flowfile.schema import SCHEMA_VERSION, PathLike, file_format
from routilux_cli.flowfile.settings import default_max_workers

__all__ = ["dump_flow_file", "flow_to_document"]


def _plain(value: Any, location: str, depth: int) -> Any:
    """``value`` as YAML/JSON data (tuples become lists); ``ValueError`` for anything else.

    ``depth`` is the level of ``value`` in the document (the document itself is
    level 1). Nesting is bounded as when reading, so what is written can be read
    back, and a list that contains itself is an error, not a ``RecursionError``.
    """
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if depth > MAX_DEPTH:
        raise ValueError(f"{location}: nested deeper than {MAX_DEPTH} levels, which flow files do not read")
    if isinstance(value, (list, tuple)):
        return [_plain(item, f"{location}[{i}]", depth + 1) for i, item in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{location}: key {key!r} is not a string; flow files need string keys")
            out[key] = _plain(item, f"{location}.{key}", depth + 1)
        return out
    raise ValueError(f"{location}: {type(value).__name__} value {value!r} cannot be written to a flow file "
                     f"(only strings, numbers, booleans, null, lists and mappings)")


def _handler_document(handler: ErrorHandler, location: str, depth: int) -> dict[str, Any]:
    strategy = handler.strategy
    doc: dict[str, Any] = {
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
    return _plain(doc, location, depth)  # type: ignore[no-any-return]


def _config_document(routine: Routine, location: str, depth: int) -> dict[str, Any]:
    config = routine.config()
    try:
        defaults = type(routine)().config()
    except Exception:
        # A class that cannot be built again: every value is written.
        defaults = {}
    changed = {}
    for key, value in config.items():
        if key in defaults:
            try:
                if defaults[key] == value:
                    continue
            except Exception:
                # A value whose == raises is written, not compared.
                pass
        changed[key] = value
    return _plain(changed, location, depth)  # type: ignore[no-any-return]


def _routine_executor_document(choice: Any, location: str) -> Any:
    """A routine's ``executor:`` (``flow.set_routine_executor``'s choice): its name alone when the
    rest is what a name alone reads back as."""
    if not choice.options and choice.max_workers == default_max_workers(choice.name):
        return choice.name
    described: dict[str, Any] = {"name": choice.name, "max_workers": choice.max_workers}
    if choice.options:
        described["options"] = _plain(dict(choice.options), f"{location}.options", 5)
    return described


def flow_to_document(flow: Flow, entry: str | None = None,
                     params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The flow-file document (plain data) of ``flow``.

    Routine types are written as their registered name when the class is a
    registered routine type, else as ``module:Class``; configuration values
    equal to a fresh instance's defaults are left out.

    Raises:
        ValueError: naming the location of what a flow file cannot hold.
    """
    doc: dict[str, Any] = {"version": SCHEMA_VERSION, "flow_id": flow.flow_id}
    options = dict(getattr(flow, "executor_options", {}) or {})
    if flow.execution_strategy == "sequential" and not options:
        doc["executor"] = "sequential"
    else:
        executor: dict[str, Any] = {"name": flow.execution_strategy, "max_workers": flow.max_workers}
        if options:
            executor["options"] = _plain(options, "executor.options", 3)
        doc["executor"] = executor
    history_limit = getattr(flow, "history_limit", DEFAULT_HISTORY_LIMIT)
    if history_limit != DEFAULT_HISTORY_LIMIT:
        doc["history_limit"] = history_limit
    if flow.error_handler is not None:
        doc["error_handler"] = _handler_document(flow.error_handler, "error_handler", 2)
    routines: dict[str, Any] = {}
    ids: dict[int, str] = {}
    for rid, routine in flow.routines.items():
        location = f"routines.{rid}"
        if "." in rid:
            raise ValueError(f"{location}: routine ids written to a flow file cannot contain '.'")
        ids[id(routine)] = rid
        described: dict[str, Any] = {"type": routine_type_name(type(routine), f"{location}.type")}
        config = _config_document(routine, f"{location}.config", 4)
        if config:
            described["config"] = config
        handler = routine.get_error_handler()
        if handler is not None:
            described["error_handler"] = _handler_document(handler, f"{location}.error_handler", 4)
        choice = flow.routine_executors.get(rid)
        if choice is not None:
            described["executor"] = _routine_executor_document(choice, f"{location}.executor")
        routines[rid] = described
    doc["routines"] = routines
    connections = []
    for index, connection in enumerate(flow.connections):
        event, slot = connection.source_event, connection.target_slot
        source_id = ids.get(id(event.routine)) if event is not None and event.routine else None
        target_id = ids.get(id(slot.routine)) if slot is not None and slot.routine else None
        if source_id is None or target_id is None or event is None or slot is None:
            raise ValueError(f"connections[{index}]: one end is not a routine of this flow")
        described_connection: dict[str, Any] = {
            "from": f"{source_id}.{event.name}", "to": f"{target_id}.{slot.name}"
        }
        if connection.param_mapping:
            described_connection["mapping"] = dict(connection.param_mapping)
        connections.append(described_connection)
    doc["connections"] = connections
    if entry is not None:
        if entry not in flow.routines:
            raise ValueError(f"entry: {entry!r} is not a routine of flow {flow.flow_id!r}")
        doc["entry"] = {"routine": entry, "params": _plain(dict(params or {}), "entry.params", 3)}
    return doc


def dump_flow_file(flow: Flow, path: PathLike, entry: str | None = None,
                   params: Mapping[str, Any] | None = None) -> Path:
    """Write ``flow`` as a flow file (YAML or JSON by the suffix of ``path``) and return the path.

    Raises:
        ValueError: an unknown suffix, or what :func:`flow_to_document` refuses.
    """
    import yaml

    file = Path(path)
    kind = file_format(file)
    doc = flow_to_document(flow, entry=entry, params=params)
    if kind == "json":
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    else:
        text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, default_flow_style=False)
    # The same atomic write as saved jobs: an interrupted dump leaves the old file whole.
    atomic_write_bytes(file, text.encode("utf-8"))
    return file
