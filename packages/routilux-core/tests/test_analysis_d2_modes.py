"""``WorkflowAnalyzer.to_d2_format`` / ``save_d2`` with ``mode`` and ``routine_analysis`` (as in 0.10)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from routilux import Flow, Routine
from routilux.analysis import (
    RoutineAnalyzer,
    WorkflowAnalyzer,
    WorkflowD2Formatter,
    analyze_routine_file,
    analyze_workflow,
    load_routine_analysis,
)

THIS_FILE = Path(__file__).resolve()


class Reader(Routine):
    """Reads records from a source.

    Every record read is emitted on ``record``; a read error is a || separated report.
    """

    def __init__(self) -> None:
        super().__init__()
        self.set_config(batch=10)
        self.define_slot("trigger", self._start)
        self.define_event("record", ["row", "index"])

    def _start(self, **params: Any) -> None:
        self.emit("record", row={}, index=0)

    def describe(self) -> str:
        return "reader"


class Writer(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.define_slot("input", self._write, merge_strategy="append")

    def _write(self, item: Any = None) -> None:
        pass


def _description() -> dict[str, Any]:
    flow = Flow(flow_id="records", execution_strategy="concurrent", max_workers=3)
    reader = Reader()
    reader.set_config(batch=25, source="db")
    flow.add_routine(reader, "reader")
    flow.add_routine(Writer(), "writer")
    flow.connect("reader", "record", "writer", "input", {"row": "item"})
    return analyze_workflow(flow, include_source_analysis=False)


def test_standard_mode_is_the_default_diagram(tmp_path: Path) -> None:
    data = _description()
    analyzer = WorkflowAnalyzer()
    standard = analyzer.to_d2_format(data)
    assert standard == analyzer.to_d2_format(data, mode="standard") == WorkflowD2Formatter().format(data)
    assert '"reader" -> "writer": "record → input (row→item)"' in standard

    analyzer.save_d2(data, tmp_path / "out" / "flow.d2")
    assert (tmp_path / "out" / "flow.d2").read_text(encoding="utf-8") == standard


def test_standard_mode_reads_but_does_not_draw_routine_analysis(tmp_path: Path) -> None:
    data = _description()
    analyzer = WorkflowAnalyzer()
    analysis = analyze_routine_file(THIS_FILE)
    assert analyzer.to_d2_format(data, routine_analysis=analysis) == analyzer.to_d2_format(data)
    with pytest.raises(FileNotFoundError, match="routine_analysis file not found"):
        analyzer.to_d2_format(data, mode="standard", routine_analysis=tmp_path / "missing.json")


def test_ultimate_mode_draws_slots_events_config_and_connections() -> None:
    text = WorkflowAnalyzer().to_d2_format(_description(), mode="ultimate")

    assert "# Flow records" in text
    assert "execution strategy: concurrent, max workers: 3" in text
    assert "# 2 routine(s), 1 connection(s), entry points: reader" in text
    assert 'label: "reader: Reader\\nReads records from a source.\\n(entry point)"' in text
    assert '"trigger": "trigger\\n→ _start()"' in text.replace("Reader._start", "_start")
    assert '"input": "input\\n→ ' in text and "\\nmerge: append" in text
    assert '"record": "record(row, index)"' in text
    assert "shape: sql_table" in text
    assert '"batch": "25"' in text and '"source": "\\"db\\""' in text  # the live config, JSON-typed
    assert '"reader".events."record" -> "writer".slots."input": "record → input (row→item)"' in text
    assert "stroke-width: 4" in text  # the entry routine stands out
    # No documentation without a routine analysis: nothing the source alone knows.
    assert "md\n" not in text and "Methods:" not in text and "defined in" not in text


def test_ultimate_mode_adds_the_documentation_of_a_routine_analysis() -> None:
    data = _description()
    analysis = analyze_routine_file(THIS_FILE)
    reader_line = next(r["line_number"] for r in analysis["routines"] if r["name"] == "Reader")

    text = WorkflowAnalyzer().to_d2_format(data, mode="ultimate", routine_analysis=analysis)

    assert f"**Reader** — defined in `{THIS_FILE}`, line {reader_line}" in text
    assert "Every record read is emitted on ``record``" in text  # the docstring past its first line
    assert "Methods: `__init__`, `_start`, `describe`" in text
    assert "Configuration set in its source: `batch=10`" in text
    assert "**Writer** — defined in" in text
    # The docstring holds "||": its markdown block is delimited by three pipes.
    assert "  doc: |||md\n" in text and "\n  |||\n" in text
    # Everything the plain ultimate diagram has is still there.
    plain = WorkflowAnalyzer().to_d2_format(data, mode="ultimate")
    for line in plain.splitlines():
        assert line in text.splitlines()


def test_routine_analysis_from_a_json_file_or_a_list(tmp_path: Path) -> None:
    data = _description()
    analyzer = WorkflowAnalyzer()
    analysis = analyze_routine_file(THIS_FILE)
    expected = analyzer.to_d2_format(data, mode="ultimate", routine_analysis=analysis)
    path = tmp_path / "routines.json"
    RoutineAnalyzer().save_json(analysis, path)

    assert analyzer.to_d2_format(data, mode="ultimate", routine_analysis=path) == expected
    assert analyzer.to_d2_format(data, mode="ultimate", routine_analysis=str(path)) == expected
    analyzer.save_d2(data, tmp_path / "flow.d2", mode="ultimate", routine_analysis=str(path))
    assert (tmp_path / "flow.d2").read_text(encoding="utf-8") == expected

    by_name = {r["name"]: r for r in analysis["routines"]}
    readers_only = {"file_path": "a.py", "routines": [by_name["Reader"]]}
    writers_only = {"file_path": "b.py", "routines": [by_name["Writer"]]}
    in_two = analyzer.to_d2_format(data, mode="ultimate", routine_analysis=[readers_only, path])
    assert "**Reader** — defined in `a.py`" in in_two  # the first source describing a class wins
    assert "**Writer** — defined in" in in_two
    assert sorted(load_routine_analysis([writers_only])) == ["Writer"]


def test_unknown_mode_names_the_valid_ones(tmp_path: Path) -> None:
    data = _description()
    analyzer = WorkflowAnalyzer()
    with pytest.raises(ValueError, match="Unknown D2 mode 'fancy'; valid modes: 'standard', 'ultimate'"):
        analyzer.to_d2_format(data, mode="fancy")
    with pytest.raises(ValueError, match="valid modes: 'standard', 'ultimate'"):
        analyzer.save_d2(data, tmp_path / "flow.d2", mode="Ultimate")
    assert not (tmp_path / "flow.d2").exists()


def test_bad_routine_analysis_is_refused_with_what_was_expected(tmp_path: Path) -> None:
    data = _description()
    analyzer = WorkflowAnalyzer()

    def ultimate(routine_analysis: Any) -> str:
        return analyzer.to_d2_format(data, mode="ultimate", routine_analysis=routine_analysis)

    with pytest.raises(FileNotFoundError, match="missing.json"):
        ultimate(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="broken.json is not valid JSON"):
        ultimate(broken)
    flow_json = tmp_path / "flow.json"
    flow_json.write_text(json.dumps({"flow_id": "x"}), encoding="utf-8")
    with pytest.raises(ValueError, match="flow.json: expected a routine analysis"):
        ultimate(flow_json)
    with pytest.raises(ValueError, match=r"routines\[1\] must be a routine description with a non-empty"):
        ultimate({"routines": [{"name": "Reader"}, {"docstring": "no name"}]})
    with pytest.raises(TypeError, match=r"routine_analysis\[0\] must be a routine analysis .* got int 3"):
        ultimate([3])
    with pytest.raises(TypeError, match="got bytes"):
        ultimate(b"routines.json")


def test_ultimate_mode_quotes_what_d2_would_misread() -> None:
    data = {
        "flow_id": "odd",
        "routines": [
            {
                "routine_id": 'say "hi"',
                "class_name": "Odd",
                "docstring": None,
                "slots": [{"name": "label", "handler": None, "merge_strategy": "override"}],
                "events": [{"name": "a.b", "output_params": []}],
                "config": {},
            }
        ],
        "connections": [
            {"source_routine_id": 'say "hi"', "source_event": "a.b", "target_routine_id": 'say "hi"',
             "target_slot": "label", "param_mapping": {}}
        ],
        "entry_points": [],
    }
    text = WorkflowAnalyzer().to_d2_format(data, mode="ultimate")
    assert '"say \\"hi\\"": {' in text
    assert '    "label": "label"' in text and '    "a.b": "a.b()"' in text
    assert '"say \\"hi\\"".events."a.b" -> "say \\"hi\\"".slots."label": "a.b → label"' in text
    assert "config: {" not in text  # no empty table
