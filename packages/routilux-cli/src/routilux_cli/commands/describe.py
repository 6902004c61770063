"""``routilux describe TYPE [--json]``: what a routine type takes, for whoever writes a flow file.

The type is built the way flow files build it (``cls()``, no arguments) and
read through the 0.10 API: its slots (``Routine._slots``; the 0.10 spec lists
``_slots``/``_events``/``_config`` among the attributes user code reads, and
Routine has no other listing), each slot's handler signature and how the
engine calls it, its events and their declared payload keys, its config
defaults (and ``config_keys``, the keys a type declares it reads), its own
error handler, its docstring, and the distribution whose plugin registers it.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import json
import sys
from typing import Any

import click

__all__ = ["COMMANDS", "describe", "describe_routine_type"]

_KINDS = {
    inspect.Parameter.POSITIONAL_ONLY: "positional",
    inspect.Parameter.POSITIONAL_OR_KEYWORD: "keyword",
    inspect.Parameter.VAR_POSITIONAL: "*args",
    inspect.Parameter.KEYWORD_ONLY: "keyword-only",
    inspect.Parameter.VAR_KEYWORD: "**kwargs",
}


class UnknownType(ValueError):
    """TYPE names no registered routine type and no importable ``module:Class``."""


@click.command("describe")
@click.argument("type_name", metavar="TYPE")
@click.option("--json", "as_json", is_flag=True, help="Print the description as one JSON object.")
def describe(type_name: str, as_json: bool) -> None:
    """Show what a routine type takes: slots, events, config, error handler and docs.

    TYPE is a registered routine type (``routilux plugins`` lists them) or
    ``module:Class``, as in a flow file's ``type``. Exits with status 2 for an
    unknown type (with the closest registered names) and 1 when the type
    cannot be built with no arguments.
    """
    try:
        description = describe_routine_type(type_name)
    except UnknownType as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(2)
    except (TypeError, ValueError, ImportError) as error:  # raised while building it: the type is broken
        click.echo(f"Error: {error}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(description, indent=2, ensure_ascii=False))
    else:
        click.echo(_render(description))


# -- finding and reading the type ------------------------------------------------------------------


def _resolve(type_name: str) -> tuple[type, Any | None]:
    """``(class, RoutineSpec or None)`` for a registered name or ``module:Class``."""
    from routilux import Routine
    from routilux.plugins import get_registry

    registry = get_registry()
    if ":" not in type_name:
        spec = registry.routines.get(type_name)
        if spec is None:
            known = sorted(registry.routines)
            close = difflib.get_close_matches(type_name, known, n=3, cutoff=0.5)
            hint = ("\ndid you mean " + " or ".join(repr(m) for m in close) + "?") if close else ""
            listing = ", ".join(known) or "none"
            raise UnknownType(
                f"unknown routine type {type_name!r} (registered routine types: {listing}; a class of "
                f"your own is written 'module:Class'){registry.failure_note()}{hint}"
            )
        return spec.cls, spec
    module_name, _, qualname = type_name.partition(":")
    if not module_name or not qualname:
        raise UnknownType(f"{type_name!r} must be a registered routine type or 'module:Class'")
    try:
        target: Any = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        raise UnknownType(f"{type_name!r}: no module {error.name!r} can be imported") from None
    for part in qualname.split("."):
        if not hasattr(target, part):
            public = [n for n in dir(target) if not n.startswith("_")]
            close = [f"{module_name}:{m}" for m in difflib.get_close_matches(part, public, n=3)]
            hint = ("\ndid you mean " + " or ".join(repr(m) for m in close) + "?") if close else ""
            raise UnknownType(f"module {module_name!r} has no attribute {qualname!r}{hint}")
        target = getattr(target, part)
    if not (isinstance(target, type) and issubclass(target, Routine)):
        raise UnknownType(f"{type_name!r} is not a Routine subclass (it is {target!r:.80})")
    spec = next((s for s in registry.routines.values() if s.cls is target), None)
    return target, spec


def _provider(spec: Any | None, cls: type) -> dict[str, Any] | None:
    """The distribution whose plugin registers ``spec``, else the one that installed ``cls``'s module."""
    from routilux.plugins import get_registry

    if spec is not None:
        key = f"routine:{spec.name}"
        for record in get_registry().plugins:
            if key in record.provides:
                return {"name": record.distribution, "version": record.version, "plugin": record.name}
    from importlib import metadata

    top = cls.__module__.partition(".")[0]
    names = metadata.packages_distributions().get(top) or []
    if names:
        return {"name": names[0], "version": metadata.version(names[0]), "plugin": None}
    return None


def _parameters(handler: Any) -> tuple[list[dict[str, Any]], str]:
    """The handler's parameters, and how the engine calls it (the 0.10 dispatch rules)."""
    if handler is None:
        return [], "no handler: data sent to the slot is merged and kept, nothing is called"
    try:
        params = list(inspect.signature(handler).parameters.values())
    except (TypeError, ValueError):
        return [], "the whole payload as its one argument (its signature cannot be read)"
    rows = []
    for param in params:
        row: dict[str, Any] = {"name": param.name, "kind": _KINDS[param.kind]}
        if param.default is not inspect.Parameter.empty:
            row["default"] = repr(param.default)
        if param.annotation is not inspect.Parameter.empty:
            annotation = param.annotation
            row["annotation"] = (
                annotation if isinstance(annotation, str) else inspect.formatannotation(annotation)
            )
        rows.append(row)
    names = [p.name for p in params]
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        how = "every payload key as a keyword argument"
    elif names == ["data"]:
        how = "the whole payload (a dict) as 'data'"
    elif len(names) == 1:
        how = f"the value of payload key {names[0]!r} (the whole payload if that key is missing)"
    elif names:
        how = "the payload keys it names (the whole payload as one argument if none of them is present)"
    else:
        how = "the payload as one argument, which it does not take: every call fails"
    return rows, how


def _json_value(value: Any) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
    return value


def _error_handler(handler: Any) -> dict[str, Any] | None:
    if handler is None:
        return None
    return {
        "strategy": handler.strategy_name,
        "max_retries": handler.max_retries,
        "retry_delay": handler.retry_delay,
        "retry_backoff": handler.retry_backoff,
        "is_critical": handler.is_critical,
        "retryable_exceptions": [
            e.__qualname__ if e.__module__ == "builtins" else f"{e.__module__}:{e.__qualname__}"
            for e in handler.retryable_exceptions
        ],
    }


def describe_routine_type(type_name: str) -> dict[str, Any]:
    """Everything ``routilux describe`` shows about ``type_name``, as plain (JSON-able) data.

    Raises:
        UnknownType: ``type_name`` names no routine type.
        TypeError, ValueError, ImportError: building the type with no arguments failed.
    """
    cls, spec = _resolve(type_name)
    try:
        routine = cls()
    except Exception as error:
        raise TypeError(f"{type_name!r} cannot be built with no arguments, as flow files build it: "
                        f"{type(error).__name__}: {error}") from error
    slots = []
    for name, slot in routine._slots.items():
        handler = slot.handler
        parameters, called_with = _parameters(handler)
        strategy = slot.merge_strategy
        slots.append({
            "name": name,
            "handler": getattr(handler, "__qualname__", None if handler is None else repr(handler)),
            "parameters": parameters,
            "called_with": called_with,
            "merge_strategy": strategy if isinstance(strategy, str) else "custom",
        })
    events = [{"name": name, "payload_keys": list(event.output_params) or None}
              for name, event in routine._events.items()]
    defaults = routine.config()
    declared = getattr(cls, "config_keys", None)
    keys = list(defaults) + [k for k in sorted(declared or ()) if k not in defaults]
    config = [
        {"key": key, "default": _json_value(defaults[key]) if key in defaults else None,
         "has_default": key in defaults,
         "type": type(defaults[key]).__name__ if defaults.get(key) is not None else None}
        for key in keys
    ]
    doc = cls.__dict__.get("__doc__")
    return {
        "type": spec.name if spec is not None else type_name,
        "class": f"{cls.__module__}:{cls.__qualname__}",
        "distribution": _provider(spec, cls),
        "category": spec.category if spec is not None else None,
        "summary": (spec.description if spec is not None else "") or None,
        "docstring": inspect.cleandoc(doc) if isinstance(doc, str) else None,
        "slots": slots,
        "events": events,
        "config": config,
        "config_keys_declared": declared is not None,
        "error_handler": _error_handler(routine.get_error_handler()),
    }


# -- text ------------------------------------------------------------------------------------------


def _signature(parameters: list[dict[str, Any]]) -> str:
    parts = []
    for p in parameters:
        prefix = {"*args": "*", "**kwargs": "**"}.get(p["kind"], "")
        text = prefix + p["name"]
        if "annotation" in p:
            text += f": {p['annotation']}"
        if "default" in p:
            text += f" = {p['default']}" if "annotation" in p else f"={p['default']}"
        parts.append(text)
    return "(" + ", ".join(parts) + ")"


def _render(d: dict[str, Any]) -> str:
    dist = d["distribution"]
    origin = f"{dist['name']} {dist['version'] or ''}".rstrip() if dist else "no installed distribution"
    category = f", category {d['category']}" if d["category"] else ""
    lines = [f"{d['type']}  ({d['class']})", f"  from {origin}{category}"]
    if d["summary"] and not (d["docstring"] or "").startswith(d["summary"].rstrip(".")):
        lines.append(f"  {d['summary']}")
    if d["docstring"]:
        lines += [""] + [f"  {line}".rstrip() for line in d["docstring"].splitlines()]
    lines += ["", "Slots"]
    for slot in d["slots"]:
        handler = f"{slot['handler']}{_signature(slot['parameters'])}" if slot["handler"] else "(no handler)"
        lines.append(f"  {slot['name']}: {handler}, merge {slot['merge_strategy']}")
        lines.append(f"    receives {slot['called_with']}")
    if not d["slots"]:
        lines.append("  (none)")
    lines += ["", "Events"]
    for event in d["events"]:
        keys = ", ".join(event["payload_keys"]) if event["payload_keys"] else "(payload keys not declared)"
        lines.append(f"  {event['name']}: {keys}")
    if not d["events"]:
        lines.append("  (none)")
    lines += ["", "Config" + ("" if d["config_keys_declared"] else " (defaults set by the type)")]
    width = max((len(c["key"]) for c in d["config"]), default=0)
    for c in d["config"]:
        default = json.dumps(c["default"], ensure_ascii=False) if c["has_default"] else "(no default)"
        kind = f"  {c['type']}" if c["type"] else ""
        lines.append(f"  {c['key']:<{width}}  {default}{kind}")
    if not d["config"]:
        lines.append("  (none)")
    lines += ["", "Error handler"]
    handler = d["error_handler"]
    if handler is None:
        lines.append("  none of its own: the flow's error handler applies (the default if it has none)")
    else:
        lines.append("  " + ", ".join(f"{k} {v}" for k, v in handler.items()))
    return "\n".join(lines)


COMMANDS = [describe]
