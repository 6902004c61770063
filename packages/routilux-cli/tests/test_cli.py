"""The ``routilux`` command, run in a real subprocess (``python -m routilux_cli``)."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="these subprocess tests are POSIX-only here")


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def output_lines(stdout: str, routine: str, output_type: str) -> list:
    """The data of every ``<routine>: <output_type> <json>`` line, parsed."""
    prefix = f"{routine}: {output_type} "
    return [json.loads(line[len(prefix):]) for line in stdout.splitlines() if line.startswith(prefix)]


# -- basics --------------------------------------------------------------------------------


def test_version(run_cli):
    result = run_cli("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("routilux 0.10.0")
    assert "routilux-cli 0.10.0" in result.stdout


def test_help_lists_the_commands(run_cli):
    result = run_cli("--help")
    assert result.returncode == 0, result.stderr
    for command in ("run", "resume", "validate", "graph", "inspect"):
        assert command in result.stdout


# -- the examples ------------------------------------------------------------------------------


def test_text_pipeline_example(run_cli, examples_dir):
    result = run_cli("run", str(examples_dir / "text_pipeline.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr
    texts = [d["transformed_data"] for d in output_lines(result.stdout, "show", "text")]
    assert texts == [
        "HELLO, EVENT-DRIVEN WORLD",
        "FIRST LINE\nSECOND LINE\n...(2 MORE LINES)",
        "ROUTILUX",
    ]
    assert "Summary" in result.stdout
    assert "completed" in result.stdout.splitlines()[-1]


def test_retry_and_route_example(run_cli, examples_dir):
    result = run_cli("run", str(examples_dir / "retry_and_route.yaml"), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout)
    assert summary["status"] == "completed"
    by_type = {}
    for output in summary["outputs"]:
        by_type.setdefault(output["output_type"], []).append(output["data"])
    assert sorted(d["data"]["id"] for d in by_type["large-order"]) == [1, 4]
    assert [d["data"]["id"] for d in by_type["small-order"]] == [2]
    assert [d["data"]["id"] for d in by_type["rejected"]] == [3]
    # Every valid order failed once and was retried once.
    assert all(d["data"]["attempts"] == 2 for d in by_type["large-order"] + by_type["small-order"])
    assert summary["routines"]["pay"] == {**summary["routines"]["pay"], "activations": 6, "errors": 3}
    assert {e["error_type"] for e in summary["errors"]} == {"ConnectionError"}
    # In --json mode the printed outputs go to stderr, so stdout is only the JSON document.
    assert "large: large-order" in result.stderr


def test_io_fanout_example(run_cli, examples_dir):
    result = run_cli("run", str(examples_dir / "io_fanout.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr
    fetched = output_lines(result.stdout, "each", "fetched")
    assert sorted(d["url"][-1] for d in fetched) == list("abcdef")
    assert output_lines(result.stdout, "report", "report") == [{"count": 6}]
    assert "executor: concurrent" in result.stdout


# -- run: params, json, failures --------------------------------------------------------------


def test_run_json_summary_and_param_override(run_cli, examples_dir):
    result = run_cli("run", str(examples_dir / "text_pipeline.yaml"), "--json",
                     "--param", "texts=[one, '  two  ']")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["status"] == "completed"
    assert summary["flow_id"] == "text-pipeline"
    assert summary["job_id"]
    assert summary["elapsed_s"] >= 0
    assert summary["errors"] == []
    assert set(summary["routines"]) == {"src", "clip", "tidy", "show"}
    assert summary["routines"]["src"]["activations"] == 1
    assert summary["routines"]["clip"]["activations"] == 2
    assert [o["data"]["transformed_data"] for o in summary["outputs"]] == ["ONE", "TWO"]


def test_run_with_another_executor(run_cli, examples_dir):
    result = run_cli("run", str(examples_dir / "text_pipeline.yaml"), "--executor", "concurrent", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["status"] == "completed"
    assert sorted(o["data"]["transformed_data"] for o in summary["outputs"]) == [
        "FIRST LINE\nSECOND LINE\n...(2 MORE LINES)", "HELLO, EVENT-DRIVEN WORLD", "ROUTILUX"]


def test_run_unknown_executor_is_a_usage_error(run_cli, examples_dir):
    result = run_cli("run", str(examples_dir / "text_pipeline.yaml"), "--executor", "concurent")
    assert result.returncode == 2
    assert "concurent" in result.stderr


FAILING_FLOW = """
    flow_id: failing
    routines:
      src: {type: FlowInput, config: {each: items}}
      explode:
        type: cli_fixtures:Explode
        error_handler: {strategy: stop}
    connections:
      - {from: src.output, to: explode.input}
    entry: {routine: src, params: {items: [7]}}
"""


def test_failing_flow_exits_non_zero(run_cli, workdir):
    flow = write(workdir / "failing.yaml", FAILING_FLOW)
    result = run_cli("run", str(flow), "--json")
    assert result.returncode == 1, result.stdout + result.stderr
    summary = json.loads(result.stdout)
    assert summary["status"] == "failed"
    assert summary["routines"]["explode"]["errors"] == 1
    assert any("boom on 7" in e["error"] for e in summary["errors"])

    table = run_cli("run", str(flow))
    assert table.returncode == 1
    assert "RuntimeError: boom on 7" in table.stdout
    assert table.stdout.splitlines()[-1].endswith(table.stdout.splitlines()[-1].split()[-1])
    assert " failed in " in table.stdout.splitlines()[-1]


def test_entry_failure_exits_non_zero(run_cli, workdir):
    flow = write(workdir / "bad_entry.yaml", """
        routines:
          src: {type: FlowInput, config: {each: items}}
          show: {type: FlowOutput}
        connections: [{from: src.output, to: show.input}]
        entry: {routine: src, params: {items: not-a-list}}
    """)
    result = run_cli("run", str(flow), "--json")
    assert result.returncode == 1
    summary = json.loads(result.stdout)
    assert summary["status"] == "failed"
    assert summary["errors"][0]["routine_id"] == "src"
    assert "must be a list" in summary["errors"][0]["error"]


# -- validate ---------------------------------------------------------------------------------

BAD_FLOW = """
    flow_id: broken
    executor: {name: concurent}
    routines:
      src: {type: FlowInput}
      clip: {type: TextClipr}
      tidy: {type: DataTransformer}
      lonely: {type: FlowOutput}
      orphan: {type: FlowOutput}
    connections:
      - {from: src.output, to: tidy.inptu}
      - {from: src.outptu, to: clip.input}
      - {from: tidy.output, to: nowhere.input}
      - {from: tidy.output, to: lonely.input, mapping: {transformed: data}}
"""


def test_validate_reports_every_problem_with_its_location(run_cli, workdir):
    flow = write(workdir / "broken.yaml", BAD_FLOW)
    result = run_cli("validate", str(flow), "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["valid"] is False
    found = {p["location"]: p for p in report["problems"]}
    assert "did you mean 'concurrent'" in found["executor.name"]["message"]
    assert "did you mean 'TextClipper'" in found["routines.clip.type"]["message"]
    assert found["routines.clip.type"]["line"] == 5
    assert "no slot 'inptu'" in found["connections[0].to"]["message"]
    assert "did you mean 'input'" in found["connections[0].to"]["message"]
    assert "no event 'outptu'" in found["connections[1].from"]["message"]
    assert "output" in found["connections[1].from"]["message"]
    assert "unknown routine 'nowhere'" in found["connections[2].to"]["message"]
    assert "no parameter 'transformed'" in found["connections[3].mapping.transformed"]["message"]
    assert "transformed_data" in found["connections[3].mapping.transformed"]["message"]
    assert "not reachable" in found["routines.orphan"]["message"]
    assert "routines.lonely" not in found  # its (broken) connection is reported, not a second problem
    assert "missing" in found["entry"]["message"]
    assert found["connections[0].to"]["line"] == 10

    text = run_cli("validate", str(flow))
    assert text.returncode == 1
    assert f"{flow}:5: routines.clip.type:" in text.stdout
    assert f"{len(report['problems'])} problem(s)" in text.stdout


def test_run_refuses_an_invalid_flow_file(run_cli, workdir):
    flow = write(workdir / "broken.yaml", BAD_FLOW)
    result = run_cli("run", str(flow))
    assert result.returncode == 2
    assert "routines.clip.type" in result.stderr and "entry" in result.stderr
    assert result.stdout == ""


def test_validate_accepts_the_examples(run_cli, examples_dir):
    for name in ("text_pipeline.yaml", "retry_and_route.yaml", "io_fanout.yaml"):
        result = run_cli("validate", str(examples_dir / name))
        assert result.returncode == 0, result.stdout
        assert result.stdout.strip().endswith("valid")


def test_validate_reports_a_syntax_error_with_its_line(run_cli, workdir):
    flow = workdir / "syntax.json"
    flow.write_text('{\n  "routines": {\n    "src": {"type": "FlowInput",}\n  }\n}\n', encoding="utf-8")
    result = run_cli("validate", str(flow), "--json")
    assert result.returncode == 1
    (problem,) = json.loads(result.stdout)["problems"]
    assert problem["line"] == 3
    assert "invalid JSON" in problem["message"]


# -- graph -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt, expected", [
    ("mermaid", ["flowchart LR", '-->|"output → input (clipped_text→data)"|']),
    ("d2", ["direction: right", '"clip" -> "tidy": "output → input (clipped_text→data)"']),
    ("dot", ["digraph \"text-pipeline\"", '"clip" -> "tidy" [label="output → input (clipped_text→data)"];']),
])
def test_graph_text_formats(run_cli, examples_dir, fmt, expected):
    result = run_cli("graph", str(examples_dir / "text_pipeline.yaml"), "--format", fmt)
    assert result.returncode == 0, result.stderr
    for snippet in expected:
        assert snippet in result.stdout


def test_graph_image_without_graphviz_says_how_to_install_it(run_cli, cli_env, examples_dir, tmp_path):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    result = run_cli("graph", str(examples_dir / "text_pipeline.yaml"), "--format", "svg",
                     "-o", str(tmp_path / "g.svg"), env=cli_env({"PATH": str(empty)}))
    assert result.returncode == 1
    assert "Graphviz" in result.stderr and "apt-get install graphviz" in result.stderr
    assert not (tmp_path / "g.svg").exists()


def test_graph_svg_with_graphviz(run_cli, examples_dir, tmp_path):
    import shutil

    if shutil.which("dot") is None:
        pytest.skip("Graphviz 'dot' is not installed")
    target = tmp_path / "g.svg"
    result = run_cli("graph", str(examples_dir / "text_pipeline.yaml"), "--format", "svg", "-o", str(target))
    assert result.returncode == 0, result.stderr
    assert "<svg" in target.read_text(encoding="utf-8")


# -- save-job, inspect ------------------------------------------------------------------------

def test_run_save_job_then_inspect(run_cli, examples_dir, tmp_path):
    job_file = tmp_path / "jobs" / "done.json"
    result = run_cli("run", str(examples_dir / "retry_and_route.yaml"), "--save-job", str(job_file))
    assert result.returncode == 0, result.stdout + result.stderr
    inspected = run_cli("inspect", str(job_file), "--json")
    assert inspected.returncode == 0, inspected.stderr
    info = json.loads(inspected.stdout)
    assert info["status"] == "completed"
    assert info["flow_id"] == "retry-and-route"
    assert info["routine_states"]["orders"]["status"] == "completed"
    assert len(info["errors"]) == 3
    assert info["activations"]["pay"]["activations"] == 6
    assert any(r["event"] == "charged" for r in info["history"])
    table = run_cli("inspect", str(job_file))
    assert table.returncode == 0
    assert "Routine states" in table.stdout and "Execution history" in table.stdout
    assert "3 error(s)" in table.stdout


def test_inspect_rejects_a_file_that_is_not_a_job(run_cli, tmp_path):
    bogus = tmp_path / "bogus.json"
    bogus.write_text('{"_type": "Flow"}', encoding="utf-8")
    result = run_cli("inspect", str(bogus))
    assert result.returncode == 2
    assert "cannot load the job" in result.stderr
