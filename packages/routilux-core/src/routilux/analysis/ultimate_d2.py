"""The ``"ultimate"`` D2 diagram of a flow (``WorkflowAnalyzer.to_d2_format(data, mode="ultimate")``).

Where the standard diagram draws one box per routine, this one draws each
routine as a container of its slots (with handler and merge strategy), its
events (with their parameters) and its configuration (a table), and wires each
connection from the event to the slot it feeds. Given a routine analysis (what
:func:`~routilux.analysis.analyze_routine_file` returns, or the JSON file
:meth:`~routilux.analysis.RoutineAnalyzer.save_json` wrote), each routine also
carries its documentation: docstring, where its class is defined, its methods
and the configuration its source sets.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Union

from routilux.analysis.formatters import BaseFormatter, d2_quote, edge_label

__all__ = ["RoutineAnalysisSource", "UltimateWorkflowD2Formatter", "load_routine_analysis"]

#: One routine analysis (a dict, or the path of its JSON file), or several of them.
RoutineAnalysisSource = Union[Mapping[str, Any], str, "os.PathLike[str]", Sequence[Any]]

_EXPECTED = (
    "a routine analysis (the dict analyze_routine_file returns, {'file_path': ..., 'routines': [...]}), "
    "the path of the JSON file RoutineAnalyzer.save_json wrote, or a list of these"
)

_ENTRY_STYLE = ('    fill: "#fff3cd"', '    stroke: "#f0a500"', "    stroke-width: 4")
_ROUTINE_STYLE = ('    fill: "#f5f7fa"', '    stroke: "#51606f"', "    stroke-width: 2")


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _read_analysis_file(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"routine_analysis file not found: {path}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"routine_analysis file {path} is not valid JSON: {error}") from None


def _add_analysis(by_name: dict[str, Mapping[str, Any]], source: Any, where: str) -> None:
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        where = f"routine_analysis file {path}"
        source = _read_analysis_file(path)
    elif not isinstance(source, Mapping):
        raise TypeError(f"{where} must be {_EXPECTED}; got {type(source).__name__} {_short(source)}")
    routines = source.get("routines") if isinstance(source, Mapping) else None
    if not isinstance(routines, list):
        raise ValueError(f"{where}: expected {_EXPECTED}; got {_short(source)}")
    for index, routine in enumerate(routines):
        name = routine.get("name") if isinstance(routine, Mapping) else None
        if not isinstance(name, str) or not name:
            raise ValueError(
                f"{where}: routines[{index}] must be a routine description with a non-empty 'name', "
                f"got {_short(routine)}"
            )
        # Several files may describe classes of one name; the first source given wins, as documented.
        if name not in by_name:
            by_name[name] = {"file_path": source.get("file_path"), **routine}


def load_routine_analysis(source: RoutineAnalysisSource) -> dict[str, Mapping[str, Any]]:
    """The routine descriptions of ``source``, by class name.

    Args:
        source: the result of :func:`~routilux.analysis.analyze_routine_file`
            (or :meth:`RoutineAnalyzer.analyze_file`), the path of a JSON file
            written by :meth:`RoutineAnalyzer.save_json`, or a list of these
            (when a class name is described more than once, the first wins).

    Raises:
        FileNotFoundError: a path names no file.
        ValueError: a file is not JSON, or a source is not a routine analysis.
        TypeError: a source is neither a dict nor a path.
    """
    by_name: dict[str, Mapping[str, Any]] = {}
    if isinstance(source, (list, tuple)):
        for index, item in enumerate(source):
            _add_analysis(by_name, item, f"routine_analysis[{index}]")
    else:
        _add_analysis(by_name, source, "routine_analysis")
    return by_name


def _value_text(value: Any) -> str:
    """A config value as JSON text, so that ``"5"`` and ``5`` read differently."""
    return json.dumps(value, ensure_ascii=False, default=str)


def _markdown_block(key: str, text: str, indent: str) -> list[str]:
    """A D2 markdown block; its delimiter has one pipe more than any run of pipes in ``text``."""
    longest = run = 0
    for char in text:
        run = run + 1 if char == "|" else 0
        longest = max(longest, run)
    pipes = "|" * (longest + 1)
    body = [f"{indent}  {line}" if line.strip() else "" for line in text.splitlines()]
    return [f"{indent}{key}: {pipes}md", *body, f"{indent}{pipes}"]


def _documentation(class_name: str, described: Mapping[str, Any]) -> str:
    parts = [f"**{class_name}**"]
    location = described.get("file_path")
    if location or described.get("line_number"):
        where = f"`{location}`" if location else "its file"
        line = described.get("line_number")
        parts[0] += f" — defined in {where}" + (f", line {line}" if line else "")
    docstring = described.get("docstring")
    if docstring:
        parts.append(str(docstring).strip())
    # RoutineAnalyzer lists method names; 0.10's analyzer listed {"name": ...} dicts.
    methods = [str(m.get("name") if isinstance(m, Mapping) else m) for m in described.get("methods") or ()]
    if methods:
        parts.append("Methods: " + ", ".join(f"`{m}`" for m in methods))
    defaults = described.get("config") or {}
    if isinstance(defaults, Mapping) and defaults:
        settings = ", ".join(f"`{key}={_value_text(value)}`" for key, value in defaults.items())
        parts.append(f"Configuration set in its source: {settings}")
    return "\n\n".join(parts)


def _port(routine_id: Any, group: str, name: Any) -> str:
    """The D2 path of a routine's slot or event: ``"rid".slots."name"``."""
    return f"{d2_quote(routine_id)}.{group}.{d2_quote(name)}"


class UltimateWorkflowD2Formatter(BaseFormatter):
    """The detailed D2 diagram of a flow description (:meth:`WorkflowAnalyzer.analyze_flow`).

    Args:
        routine_analysis: optional documentation of the routine classes, matched
            by class name (see :func:`load_routine_analysis` for what it may be).
            It is read here, so a bad path or file fails at construction.
    """

    def __init__(self, routine_analysis: RoutineAnalysisSource | None = None) -> None:
        self.documentation = {} if routine_analysis is None else load_routine_analysis(routine_analysis)

    def format(self, data: dict[str, Any]) -> str:
        routines = list(data.get("routines") or ())
        connections = list(data.get("connections") or ())
        entries = set(data.get("entry_points") or ())
        lines = [
            f"# Flow {data.get('flow_id')}",
            f"# execution strategy: {data.get('execution_strategy')}, "
            f"max workers: {data.get('max_workers')}, execution timeout: {data.get('execution_timeout')}",
            f"# {len(routines)} routine(s), {len(connections)} connection(s), "
            f"entry points: {', '.join(map(str, sorted(entries, key=str))) or 'none'}",
            "direction: right",
            "",
        ]
        for routine in routines:
            lines.extend(self._routine(routine, routine.get("routine_id") in entries))
            lines.append("")
        for connection in connections:
            source = _port(connection.get("source_routine_id"), "events", connection.get("source_event"))
            target = _port(connection.get("target_routine_id"), "slots", connection.get("target_slot"))
            lines.append(f"{source} -> {target}: {d2_quote(edge_label(connection))}")
        return "\n".join(lines).rstrip() + "\n"

    def _routine(self, routine: Mapping[str, Any], is_entry: bool) -> list[str]:
        rid = routine.get("routine_id")
        class_name = str(routine.get("class_name"))
        described = self.documentation.get(class_name)
        docstring = (described or {}).get("docstring") or routine.get("docstring")
        summary = str(docstring).strip().splitlines()[0] if docstring and str(docstring).strip() else ""
        parts = [f"{rid}: {class_name}", summary, "(entry point)" if is_entry else ""]
        label = "\n".join(part for part in parts if part)
        lines = [f"{d2_quote(rid)}: {{", f"  label: {d2_quote(label)}", "  style: {"]
        lines.extend(_ENTRY_STYLE if is_entry else _ROUTINE_STYLE)
        lines.append("  }")
        if described is not None:
            lines.extend(_markdown_block("doc", _documentation(class_name, described), "  "))
        lines.extend(self._slots(routine.get("slots") or ()))
        lines.extend(self._events(routine.get("events") or ()))
        lines.extend(self._config(routine.get("config") or {}))
        lines.append("}")
        return lines

    @staticmethod
    def _slots(slots: Iterable[Mapping[str, Any]]) -> list[str]:
        rows = []
        for slot in slots:
            text = str(slot.get("name"))
            if slot.get("handler"):
                text += f"\n→ {slot['handler']}()"
            strategy = slot.get("merge_strategy")
            if strategy and strategy != "override":
                text += f"\nmerge: {strategy}"
            rows.append(f"    {d2_quote(slot.get('name'))}: {d2_quote(text)}")
        return ["  slots: {", *rows, "  }"] if rows else []

    @staticmethod
    def _events(events: Iterable[Mapping[str, Any]]) -> list[str]:
        rows = []
        for event in events:
            name = event.get("name")
            params = ", ".join(map(str, event.get("output_params") or ()))
            rows.append(f"    {d2_quote(name)}: {d2_quote(f'{name}({params})')}")
        return ["  events: {", *rows, "  }"] if rows else []

    @staticmethod
    def _config(config: Mapping[str, Any]) -> list[str]:
        if not config:
            return []
        rows = [f"    {d2_quote(key)}: {d2_quote(_value_text(value))}" for key, value in config.items()]
        return ["  config: {", "    shape: sql_table", *rows, "  }"]
