"""A flow's graph as Mermaid, D2 or Graphviz DOT text, and SVG/PNG through Graphviz.

All three text formats are made from the flow description of
:func:`routilux.analysis.analyze_workflow`; D2 uses core's
:class:`~routilux.analysis.WorkflowD2Formatter`.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

from routilux import Flow
from routilux.analysis import BaseFormatter, WorkflowD2Formatter, analyze_workflow
from routilux.analysis.formatters import edge_label

__all__ = [
    "GRAPHVIZ_INSTALL_HINT",
    "IMAGE_FORMATS",
    "TEXT_FORMATS",
    "GraphvizMissing",
    "WorkflowDotFormatter",
    "WorkflowMermaidFormatter",
    "render_image",
    "render_text",
]

TEXT_FORMATS = ("mermaid", "d2", "dot")
IMAGE_FORMATS = ("svg", "png")

GRAPHVIZ_INSTALL_HINT = (
    "Graphviz's 'dot' program was not found on PATH. Install Graphviz "
    "(Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install graphviz; "
    "conda: conda install graphviz; Windows: winget install graphviz), "
    "or write the DOT text with --format dot and render it elsewhere."
)


class GraphvizMissing(RuntimeError):
    """``dot`` is not installed."""


class WorkflowMermaidFormatter(BaseFormatter):
    """A Mermaid ``flowchart LR`` of a flow description; entry routines get a thick border."""

    def format(self, data: dict[str, Any]) -> str:
        ids: dict[str, str] = {}
        lines: list[str] = ["flowchart LR"]
        for index, routine in enumerate(data.get("routines") or ()):
            rid = str(routine.get("routine_id"))
            ids[rid] = f"r{index}"
            label = _mermaid_text(f"{rid}<br/><small>{routine.get('class_name')}</small>")
            lines.append(f'    {ids[rid]}["{label}"]')
        for connection in data.get("connections") or ():
            source = ids.get(str(connection.get("source_routine_id")))
            target = ids.get(str(connection.get("target_routine_id")))
            if source is None or target is None:
                continue
            lines.append(f'    {source} -->|"{_mermaid_text(edge_label(connection))}"| {target}')
        entries = [ids[str(rid)] for rid in data.get("entry_points") or () if str(rid) in ids]
        if entries:
            lines.append("    classDef entry stroke-width:3px")
            lines.append(f"    class {','.join(entries)} entry")
        return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;")


def _dot_quote(text: Any) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


class WorkflowDotFormatter(BaseFormatter):
    """A Graphviz ``digraph`` of a flow description; entry routines get a thick border."""

    def format(self, data: dict[str, Any]) -> str:
        entries = {str(rid) for rid in data.get("entry_points") or ()}
        lines = [
            f"digraph {_dot_quote(data.get('flow_id'))} {{",
            "  rankdir=LR;",
            '  node [shape=box, style=rounded, fontname="Helvetica"];',
            '  edge [fontname="Helvetica", fontsize=10];',
        ]
        for routine in data.get("routines") or ():
            rid = str(routine.get("routine_id"))
            label = f"{rid}\n{routine.get('class_name')}"
            attrs = f"label={_dot_quote(label)}"
            if rid in entries:
                attrs += ", penwidth=3"
            lines.append(f"  {_dot_quote(rid)} [{attrs}];")
        for connection in data.get("connections") or ():
            lines.append(
                f"  {_dot_quote(connection.get('source_routine_id'))} -> "
                f"{_dot_quote(connection.get('target_routine_id'))} "
                f"[label={_dot_quote(edge_label(connection))}];"
            )
        lines.append("}")
        return "\n".join(lines) + "\n"


_FORMATTERS = {
    "mermaid": WorkflowMermaidFormatter,
    "d2": WorkflowD2Formatter,
    "dot": WorkflowDotFormatter,
}


def render_text(flow: Flow, fmt: str) -> str:
    """The graph of ``flow`` in one of :data:`TEXT_FORMATS`."""
    if fmt not in _FORMATTERS:
        raise ValueError(f"unknown graph format {fmt!r}; text formats: {', '.join(TEXT_FORMATS)}")
    data = analyze_workflow(flow, include_source_analysis=False)
    formatter: BaseFormatter = _FORMATTERS[fmt]()
    return formatter.format(data)


def render_image(flow: Flow, fmt: str, dot_program: str = "dot") -> bytes:
    """SVG or PNG bytes of the graph, made by Graphviz; :class:`GraphvizMissing` without it."""
    if fmt not in IMAGE_FORMATS:
        raise ValueError(f"unknown image format {fmt!r}; image formats: {', '.join(IMAGE_FORMATS)}")
    program = shutil.which(dot_program)
    if program is None:
        raise GraphvizMissing(GRAPHVIZ_INSTALL_HINT)
    completed = subprocess.run(
        [program, f"-T{fmt}"], input=render_text(flow, "dot").encode("utf-8"),
        capture_output=True, check=False, timeout=120,
    )
    if completed.returncode != 0:
        message = completed.stderr.decode(errors="replace")
        raise RuntimeError(f"dot failed ({completed.returncode}): {message}")
    return completed.stdout
