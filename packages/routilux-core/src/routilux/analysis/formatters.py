"""Formatters: turn analysis results into Markdown or D2 text."""

from __future__ import annotations

import abc
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["BaseFormatter", "RoutineMarkdownFormatter", "WorkflowD2Formatter", "d2_quote", "edge_label"]

PathLike = str | Path


class BaseFormatter(abc.ABC):
    """Turns an analysis result (plain data) into text."""

    @abc.abstractmethod
    def format(self, data: dict[str, Any]) -> str:
        """The text for ``data``."""

    def save(self, data: dict[str, Any], file_path: PathLike) -> None:
        """Write :meth:`format` to ``file_path`` (UTF-8), creating its directory."""
        path = Path(file_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = self.format(data)
        path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")


def _md_cell(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text.replace("|", "\\|").replace("\n", " ")


class RoutineMarkdownFormatter(BaseFormatter):
    """Markdown for routine descriptions.

    Accepts the result of :meth:`RoutineAnalyzer.analyze_file` (``{"file_path",
    "routines"}``), one routine description, or the result of
    :meth:`WorkflowAnalyzer.analyze_flow` (its routines are listed by id).
    """

    def format(self, data: dict[str, Any]) -> str:
        if "routines" in data:
            title = data.get("file_path") or data.get("flow_id") or "routines"
            routines: list[Mapping[str, Any]] = list(data["routines"])
            lines = [f"# Routines in `{title}`", ""]
            if not routines:
                lines.append("_No routine found._")
            for routine in routines:
                lines.extend(self._routine(routine, level=2))
            return "\n".join(lines).rstrip() + "\n"
        return "\n".join(self._routine(data, level=1)).rstrip() + "\n"

    def _routine(self, routine: Mapping[str, Any], level: int) -> list[str]:
        hashes = "#" * level
        name = routine.get("name") or routine.get("class_name") or "?"
        if routine.get("routine_id"):
            name = f"{routine['routine_id']} ({name})"
        lines = [f"{hashes} {name}", ""]
        if routine.get("line_number"):
            lines += [f"Defined at line {routine['line_number']}.", ""]
        if routine.get("docstring"):
            lines += [str(routine["docstring"]).strip(), ""]
        slots = list(routine.get("slots") or ())
        if slots:
            lines += [f"{hashes}# Slots", "", "| slot | handler | merge strategy |", "|---|---|---|"]
            lines += [
                f"| `{_md_cell(s.get('name'))}` | {_md_cell(s.get('handler'))} | "
                f"{_md_cell(s.get('merge_strategy'))} |"
                for s in slots
            ]
            lines.append("")
        events = list(routine.get("events") or ())
        if events:
            lines += [f"{hashes}# Events", "", "| event | parameters |", "|---|---|"]
            for event in events:
                params = ", ".join(map(str, event.get("output_params") or ()))
                lines.append(f"| `{_md_cell(event.get('name'))}` | {_md_cell(params)} |")
            lines.append("")
        config = routine.get("config") or {}
        if config:
            lines += [f"{hashes}# Configuration", "", "| key | default |", "|---|---|"]
            lines += [f"| `{_md_cell(k)}` | `{_md_cell(v)}` |" for k, v in config.items()]
            lines.append("")
        methods = list(routine.get("methods") or ())
        if methods:
            lines += [f"{hashes}# Methods", "", ", ".join(f"`{m}`" for m in methods), ""]
        return lines


def d2_quote(text: Any) -> str:
    """``text`` as a double-quoted D2 string."""
    escaped = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def edge_label(connection: Mapping[str, Any]) -> str:
    """``event → slot (mapping)``: the label of a connection of a flow description."""
    label = f"{connection.get('source_event')} → {connection.get('target_slot')}"
    mapping = connection.get("param_mapping") or {}
    if mapping:
        label += " (" + ", ".join(f"{k}→{v}" for k, v in mapping.items()) + ")"
    return label


class WorkflowD2Formatter(BaseFormatter):
    """A D2 diagram of a flow description (:meth:`WorkflowAnalyzer.analyze_flow`).

    Styles: ``"default"`` (one box per routine, edges labelled ``event → slot``
    with their mapping, entry routines highlighted), ``"detailed"`` (routines as
    class shapes listing their slots and events) and ``"compact"`` (no edge labels).
    """

    STYLES = ("default", "detailed", "compact")

    def __init__(self, style: str = "default") -> None:
        if style not in self.STYLES:
            raise ValueError(f"Unknown D2 style {style!r}; choose one of {', '.join(self.STYLES)}")
        self.style = style

    def format(self, data: dict[str, Any]) -> str:
        entries = set(data.get("entry_points") or ())
        workers = data.get("max_workers")
        lines = [
            f"# Flow {data.get('flow_id')}: {data.get('execution_strategy')}, {workers} worker(s)",
            "direction: right",
            "",
        ]
        for routine in data.get("routines") or ():
            lines.extend(self._node(routine, routine.get("routine_id") in entries))
        for connection in data.get("connections") or ():
            source = d2_quote(connection.get("source_routine_id"))
            edge = f"{source} -> {d2_quote(connection.get('target_routine_id'))}"
            if self.style != "compact":
                edge += f": {d2_quote(edge_label(connection))}"
            lines.append(edge)
        return "\n".join(lines) + "\n"

    def _node(self, routine: Mapping[str, Any], is_entry: bool) -> Iterable[str]:
        rid = routine.get("routine_id")
        lines = [f"{d2_quote(rid)}: {{"]
        if self.style == "detailed":
            lines.append("  shape: class")
            for slot in routine.get("slots") or ():
                lines.append(f"  {d2_quote('+' + str(slot.get('name')))}: \"slot\"")
            for event in routine.get("events") or ():
                params = ", ".join(map(str, event.get("output_params") or ()))
                lines.append(f"  {d2_quote('-' + str(event.get('name')) + '(' + params + ')')}: \"event\"")
        else:
            label = f"{rid} ({routine.get('class_name')})"
            lines.append(f"  label: {d2_quote(label)}")
        if is_entry:
            lines.append("  style.stroke-width: 3")
        lines.append("}")
        return lines
