"""``routilux run --executor dask`` through a real subprocess (the tox env ``cli-dask``).

Skipped when routilux-dask is not installed, except where
``ROUTILUX_CLI_REQUIRE_DASK=1`` (set by the ``cli-dask`` env) makes that a failure,
so the env cannot pass by skipping.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import textwrap
from pathlib import Path

import pytest

if importlib.util.find_spec("routilux_dask") is None:
    if os.environ.get("ROUTILUX_CLI_REQUIRE_DASK") == "1":
        raise RuntimeError("ROUTILUX_CLI_REQUIRE_DASK=1 but routilux-dask is not installed")
    pytest.skip("routilux-dask is not installed", allow_module_level=True)


def texts(summary: dict) -> list:
    return sorted(o["data"]["transformed_data"] for o in summary["outputs"] if o["output_type"] == "text")


def test_dask_gives_the_sequential_outputs(run_cli, examples_dir):
    flow = str(examples_dir / "text_pipeline.yaml")
    local = run_cli("run", flow, "--json")
    assert local.returncode == 0, local.stderr
    on_dask = run_cli("run", flow, "--executor", "dask", "--json")
    assert on_dask.returncode == 0, on_dask.stdout + on_dask.stderr
    expected, got = json.loads(local.stdout), json.loads(on_dask.stdout)
    assert got["status"] == "completed" and got["outcome"] == "completed"
    assert texts(expected) == [
        "FIRST LINE\nSECOND LINE\n...(2 MORE LINES)", "HELLO, EVENT-DRIVEN WORLD", "ROUTILUX"]
    assert texts(got) == texts(expected)
    # Every routine ran as often as it does in-process: the engine counted the remote activations.
    assert {rid: row["activations"] for rid, row in got["routines"].items()} == {
        rid: row["activations"] for rid, row in expected["routines"].items()}
    assert got["routines"]["clip"]["activations"] == 3
    # The journal ended each remote activation too: the store's totals and figures say all ran.
    listed = json.loads(run_cli("jobs", "--json").stdout)
    on_dask_row = next(row for row in listed if row["job_id"] == got["job_id"])
    assert (on_dask_row["activations"], on_dask_row["errors"]) == (10, 0)
    inspected = json.loads(run_cli("inspect", got["job_id"], "--json").stdout)
    assert {rid: row["activations"] for rid, row in inspected["activations"].items()} == {
        rid: row["activations"] for rid, row in got["routines"].items()}
    # dask's INFO logs (scheduler, nannies, workers) stay off the terminal without -v.
    assert "distributed." not in on_dask.stderr, on_dask.stderr
    assert "INFO" not in on_dask.stderr, on_dask.stderr
    assert "Traceback" not in on_dask.stderr, on_dask.stderr


def test_dask_logs_show_with_verbose(run_cli, examples_dir):
    result = run_cli("run", str(examples_dir / "text_pipeline.yaml"), "--executor", "dask", "-v")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "distributed." in result.stderr
    assert result.stdout.count("show: text ") == 3


def test_a_flow_file_puts_one_routine_on_dask_and_keeps_the_others_local(run_cli, tmp_path):
    shutil.copy(Path(__file__).resolve().parent / "executor_fixtures.py", tmp_path / "executor_fixtures.py")
    items = list(range(10))
    flow = tmp_path / "mixed_dask.yaml"
    flow.write_text(textwrap.dedent("""
        flow_id: mixed-dask
        executor: sequential
        routines:
          src: {type: FlowInput, config: {each: items, item_key: item}}
          square:
            type: executor_fixtures:Square
            executor: {name: dask, max_workers: 4, options: {n_workers: 2}}
          tag: {type: executor_fixtures:Tag, executor: {name: concurrent, max_workers: 2}}
          squares: {type: FlowOutput, config: {output_type: square, keys: [item, value, pid]}}
          tags: {type: FlowOutput, config: {output_type: tag, keys: [tag, pid]}}
        connections:
          - {from: src.output, to: square.input}
          - {from: square.value, to: squares.input}
          - {from: square.value, to: tag.input}
          - {from: tag.tagged, to: tags.input}
        entry: {routine: src, params: {items: ITEMS}}
    """).replace("ITEMS", json.dumps(items)), encoding="utf-8")
    result = run_cli("run", str(flow), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout)
    assert summary["status"] == "completed"
    squares = [o["data"] for o in summary["outputs"] if o["output_type"] == "square"]
    tags = [o["data"] for o in summary["outputs"] if o["output_type"] == "tag"]
    assert sorted((s["item"], s["value"]) for s in squares) == [(i, i * i) for i in items]
    assert sorted(t["tag"] for t in tags) == sorted(f"v={i * i}" for i in items)
    local = {t["pid"] for t in tags}
    assert len(local) == 1  # the CLI's own process ran every tag
    assert not local & {s["pid"] for s in squares}  # and no square: they ran on the workers
    assert {rid: row["activations"] for rid, row in summary["routines"].items()} == {
        "src": 1, "square": len(items), "squares": len(items), "tag": len(items), "tags": len(items)}
