"""``routilux run --executor dask`` through a real subprocess (the tox env ``cli-dask``).

Skipped when routilux-dask is not installed, except where
``ROUTILUX_CLI_REQUIRE_DASK=1`` (set by the ``cli-dask`` env) makes that a failure,
so the env cannot pass by skipping.
"""

from __future__ import annotations

import importlib.util
import json
import os

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
    # dask's INFO logs (scheduler, nannies, workers) stay off the terminal without -v.
    assert "distributed." not in on_dask.stderr, on_dask.stderr
    assert "INFO" not in on_dask.stderr, on_dask.stderr
    assert "Traceback" not in on_dask.stderr, on_dask.stderr


def test_dask_logs_show_with_verbose(run_cli, examples_dir):
    result = run_cli("run", str(examples_dir / "text_pipeline.yaml"), "--executor", "dask", "-v")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "distributed." in result.stderr
    assert result.stdout.count("show: text ") == 3
