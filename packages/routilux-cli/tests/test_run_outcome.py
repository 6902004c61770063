"""What ``routilux run`` reports, through a real subprocess: exit status, errors, retries, names.

Counts come from the engine (``JobState.routine_stats()``); the CLI wraps nothing.
"""

from __future__ import annotations

import json
import re
import shutil
import textwrap
from pathlib import Path

import pytest


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


@pytest.fixture
def flows(workdir: Path, examples_dir: Path) -> Path:
    """``workdir`` with the examples' routines next to the test flow files."""
    shutil.copy(examples_dir / "example_routines.py", workdir / "example_routines.py")
    return workdir


def errors_flow(handler: str = "") -> str:
    """Two items into a routine that always fails, next to a sink that always works."""
    return f"""
        flow_id: errors
        routines:
          src: {{type: FlowInput, config: {{each: items}}}}
          explode: {{type: "cli_fixtures:Explode"{handler}}}
          show: {{type: FlowOutput, config: {{output_type: seen}}}}
        connections:
          - {{from: src.output, to: explode.input}}
          - {{from: src.output, to: show.input}}
        entry: {{routine: src, params: {{items: [1, 2]}}}}
    """


def payment_flow(failures: int, max_retries: int) -> str:
    return f"""
        flow_id: payment
        routines:
          orders: {{type: FlowInput, config: {{each: orders, item_key: order}}}}
          pay:
            type: "example_routines:FlakyPayment"
            config: {{failures: {failures}}}
            error_handler: {{strategy: retry, max_retries: {max_retries}, retry_delay: 0,
                            retryable_exceptions: [ConnectionError]}}
          paid: {{type: FlowOutput, config: {{output_type: paid}}}}
        connections:
          - {{from: orders.output, to: pay.input}}
          - {{from: pay.charged, to: paid.input}}
        entry: {{routine: orders, params: {{orders: [{{id: 1, amount: 10}}]}}}}
    """


# -- unhandled errors change the exit status ------------------------------------------------------


def test_errors_under_no_strategy_make_run_exit_1(run_cli, flows):
    flow = write(flows / "errors.yaml", errors_flow())
    result = run_cli("run", str(flow))
    assert result.returncode == 1, result.stdout + result.stderr
    last = result.stdout.splitlines()[-1]
    assert re.fullmatch(r"Job \S+ completed with 2 unhandled errors in \d+\.\d+s", last), last
    # The job went on: the sink saw both items.
    assert result.stdout.count("show: seen ") == 2
    # The errors are listed under the routine's id in the flow.
    listed = [line.strip() for line in result.stdout.splitlines() if line.startswith("  explode: ")]
    assert len(listed) == 2 and listed[0].endswith("boom on 1") and listed[1].endswith("boom on 2"), listed


def test_json_says_completed_with_unhandled_errors(run_cli, flows):
    flow = write(flows / "errors.yaml", errors_flow())
    result = run_cli("run", str(flow), "--json")
    assert result.returncode == 1, result.stderr
    summary = json.loads(result.stdout)
    assert summary["status"] == "completed"
    assert summary["outcome"] == "completed with 2 unhandled errors"
    assert summary["unhandled_errors"] == 2
    assert summary["exit_status"] == 1
    explode = summary["routines"]["explode"]
    assert (explode["activations"], explode["unhandled_errors"], explode["accepted_errors"]) == (2, 2, 0)
    assert [e["routine_id"] for e in summary["errors"]] == ["explode", "explode"]
    assert sorted(o["data"]["item"] for o in summary["outputs"]) == [1, 2]


@pytest.mark.parametrize("strategy", ["continue", "skip"])
def test_errors_a_strategy_accepted_keep_exit_0(run_cli, flows, strategy):
    flow = write(flows / "errors.yaml", errors_flow(f", error_handler: {{strategy: {strategy}}}"))
    result = run_cli("run", str(flow), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout)
    assert summary["outcome"] == "completed"
    assert summary["unhandled_errors"] == 0
    assert summary["routines"]["explode"]["accepted_errors"] == 2
    assert summary["exit_status"] == 0


# -- retries --------------------------------------------------------------------------------------


def run_payment(run_cli, flows: Path, failures: int, max_retries: int, *options: str):
    """``routilux run`` of :func:`payment_flow` (written into ``flows``) with ``options``."""
    flow = write(flows / "payment.yaml", payment_flow(failures=failures, max_retries=max_retries))
    return run_cli("run", str(flow), *options)


def test_a_retry_that_overcomes_the_error_keeps_exit_0_and_shows_as_retries(run_cli, flows):
    result = run_payment(run_cli, flows, failures=2, max_retries=3)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "pay: 3 attempts, succeeded" in result.stdout.splitlines()
    assert result.stdout.count("paid: paid ") == 1
    assert re.fullmatch(r"Job \S+ completed in \d+\.\d+s", result.stdout.splitlines()[-1])

    summary = json.loads(run_payment(run_cli, flows, 2, 3, "--json").stdout)
    pay = summary["routines"]["pay"]
    assert (pay["activations"], pay["retries"], pay["succeeded"]) == (3, 2, 1)
    assert summary["retries"] == 2
    assert summary["unhandled_errors"] == 0


def test_retries_that_give_up_show_as_failed(run_cli, flows):
    result = run_payment(run_cli, flows, failures=5, max_retries=2)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "pay: 3 attempts, failed" in result.stdout.splitlines()
    assert "paid: paid " not in result.stdout


# -- names ----------------------------------------------------------------------------------------


def test_messages_name_routines_by_their_id_in_the_flow(run_cli, flows):
    flow = write(flows / "errors.yaml", errors_flow())
    result = run_cli("run", str(flow), "-v")
    assert result.returncode == 1, result.stdout + result.stderr
    transcript = result.stdout + result.stderr
    assert "explode" in result.stderr  # the logged handler error says which routine failed
    # Routines are never called by the counter behind Routine() ids (r1, r2, ...).
    assert not re.search(r"\br\d+\b", transcript), transcript


# -- executors that are not installed --------------------------------------------------------------


def test_an_executor_that_is_not_installed_says_which_distribution_provides_it(
        run_cli, cli_env, flows, examples_dir):
    env = cli_env({"ROUTILUX_DISABLE_PLUGINS": "routilux-dask"})
    by_option = run_cli("run", str(examples_dir / "text_pipeline.yaml"), "--executor", "dask", env=env)
    assert by_option.returncode == 2, by_option.stdout + by_option.stderr
    assert "pip install routilux-dask" in by_option.stderr
    assert "Traceback" not in by_option.stderr

    flow = write(flows / "on_dask.yaml", """
        flow_id: on-dask
        executor: dask
        routines:
          src: {type: FlowInput}
          show: {type: FlowOutput}
        connections: [{from: src.output, to: show.input}]
        entry: src
    """)
    by_file = run_cli("run", str(flow), env=env)
    assert by_file.returncode == 2, by_file.stdout + by_file.stderr
    assert "unknown executor 'dask'" in by_file.stderr
    assert "pip install routilux-dask" in by_file.stderr
    assert by_file.stdout == ""
