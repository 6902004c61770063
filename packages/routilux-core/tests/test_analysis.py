"""Analysis tools (spec §17): RoutineAnalyzer, WorkflowAnalyzer and the formatters."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from routilux import Flow, Routine
from routilux.analysis import (
    BaseFormatter,
    RoutineAnalyzer,
    RoutineMarkdownFormatter,
    WorkflowAnalyzer,
    WorkflowD2Formatter,
    analyze_routine_file,
    analyze_workflow,
)

SOURCE = textwrap.dedent('''
    import routilux
    from routilux import Routine


    class Helper:
        """Not a routine."""


    class Fetcher(routilux.Routine):
        """Fetches things."""

        def __init__(self):
            super().__init__()
            self.set_config(url="http://x", retries=3, hook=len)
            self.define_slot("trigger", self._go)
            self.define_slot("more", handler=self._more, merge_strategy="append")
            self.define_event("fetched", ["body", "status"])

        def _go(self, **kw):
            pass

        def _more(self, data):
            pass


    class Special(Fetcher):
        def extra(self):
            self.define_event(name="special")
''')


class Source(Routine):
    """Starts the flow."""

    def __init__(self) -> None:
        super().__init__()
        self.set_config(n=2)
        self.define_slot("trigger", self._go)
        self.define_event("out", ["value"])

    def _go(self, **params: Any) -> None:
        self.emit("out", value=1)


class Sink(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.define_slot("input", self._take, merge_strategy="append")

    def _take(self, value: Any = None) -> None:
        pass


def make_flow() -> Flow:
    flow = Flow(flow_id="analysed", execution_strategy="concurrent", max_workers=2)
    flow.add_routine(Source(), "src")
    flow.add_routine(Sink(), "sink")
    flow.connect("src", "out", "sink", "input", {"value": "item"})
    return flow


def test_routine_analyzer_reads_classes_without_importing(tmp_path: Path) -> None:
    path = tmp_path / "routines.py"
    path.write_text(SOURCE, encoding="utf-8")
    result = analyze_routine_file(path)
    assert result["file_path"] == str(path)
    names = [r["name"] for r in result["routines"]]
    assert names == ["Fetcher", "Special"]
    fetcher = result["routines"][0]
    assert fetcher["docstring"] == "Fetches things."
    assert fetcher["slots"] == [
        {"name": "trigger", "handler": "_go", "merge_strategy": "override"},
        {"name": "more", "handler": "_more", "merge_strategy": "append"},
    ]
    assert fetcher["events"] == [{"name": "fetched", "output_params": ["body", "status"]}]
    assert fetcher["config"] == {"url": "http://x", "retries": 3}  # only literal values
    assert fetcher["methods"] == ["__init__", "_go", "_more"]
    assert fetcher["line_number"] == 10
    assert result["routines"][1]["events"] == [{"name": "special", "output_params": []}]
    analyzer = RoutineAnalyzer()
    assert json.loads(analyzer.to_json(result)) == result
    analyzer.save_json(result, tmp_path / "out" / "r.json")
    assert json.loads((tmp_path / "out" / "r.json").read_text(encoding="utf-8")) == result


def test_routine_analyzer_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        RoutineAnalyzer().analyze_file(tmp_path / "nope.py")


def test_workflow_analyzer_describes_a_flow(tmp_path: Path) -> None:
    flow = make_flow()
    data = analyze_workflow(flow)
    settings = ("flow_id", "execution_strategy", "max_workers", "execution_timeout")
    assert [data[k] for k in settings] == ["analysed", "concurrent", 2, 300.0]
    src, sink = data["routines"]
    assert src["routine_id"] == "src" and src["class_name"] == "Source"
    assert src["docstring"] == "Starts the flow."
    assert src["config"] == {"n": 2}
    assert src["events"] == [{"name": "out", "output_params": ["value"]}]
    assert sink["slots"][0]["merge_strategy"] == "append"
    assert sink["slots"][0]["handler"].endswith("Sink._take")
    assert src["source_info"]["file_path"].endswith("test_analysis.py")
    assert src["source_info"]["line_number"] > 0
    assert data["connections"] == [
        {"source_routine_id": "src", "source_event": "out", "target_routine_id": "sink",
         "target_slot": "input", "param_mapping": {"value": "item"}}
    ]
    assert data["dependency_graph"] == {"src": [], "sink": ["src"]}
    assert data["entry_points"] == ["src"]
    without = WorkflowAnalyzer().analyze_flow(flow, include_source_analysis=False)
    assert without["routines"][0]["source_info"] is None
    analyzer = WorkflowAnalyzer()
    assert json.loads(analyzer.to_json(without))["flow_id"] == "analysed"
    analyzer.save_d2(without, tmp_path / "flow.d2")
    assert '"src" -> "sink"' in (tmp_path / "flow.d2").read_text(encoding="utf-8")


def test_d2_formatter_styles() -> None:
    data = analyze_workflow(make_flow(), include_source_analysis=False)
    default = WorkflowD2Formatter().format(data)
    assert 'label: "src (Source)"' in default
    assert '"src" -> "sink": "out → input (value→item)"' in default
    assert "style.stroke-width: 3" in default  # the entry routine
    detailed = WorkflowD2Formatter(style="detailed").format(data)
    assert "shape: class" in detailed
    assert '"+input": "slot"' in detailed and '"-out(value)": "event"' in detailed
    compact = WorkflowD2Formatter(style="compact").format(data)
    assert '"src" -> "sink"\n' in compact
    with pytest.raises(ValueError, match="default, detailed, compact"):
        WorkflowD2Formatter(style="fancy")


def test_markdown_formatter(tmp_path: Path) -> None:
    path = tmp_path / "routines.py"
    path.write_text(SOURCE, encoding="utf-8")
    text = RoutineMarkdownFormatter().format(analyze_routine_file(path))
    assert text.startswith(f"# Routines in `{path}`")
    assert "## Fetcher" in text and "### Slots" in text
    assert "| `more` | _more | append |" in text
    assert "| `fetched` | body, status |" in text
    single = RoutineMarkdownFormatter().format(analyze_routine_file(path)["routines"][1])
    assert single.startswith("# Special")
    RoutineMarkdownFormatter().save(analyze_routine_file(path), tmp_path / "docs" / "r.md")
    assert (tmp_path / "docs" / "r.md").read_text(encoding="utf-8") == text


def test_base_formatter_is_abstract() -> None:
    with pytest.raises(TypeError):
        BaseFormatter()  # type: ignore[abstract]
