"""Durable jobs through the CLI, in real subprocesses: where ``run`` journals, ``jobs``, ``inspect ID``
and ``jobs prune`` (their bad input is in test_cli_bad_input.py)."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="these subprocess tests are POSIX-only here")


def jobs(run_cli, *args: str) -> list[dict]:
    result = run_cli("jobs", "--json", *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


# -- where run journals ------------------------------------------------------------------------------


def test_run_journals_into_the_store_and_jobs_inspect_and_prune_see_it(run_cli, pipeline, job_store):
    result = run_cli("run", pipeline, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout)
    job_id = summary["job_id"]
    assert summary["store"] == f"sqlite://{job_store}"
    assert f"store: sqlite://{job_store}" in result.stderr  # the first line says where the job goes

    (listed,) = jobs(run_cli)
    assert listed["job_id"] == job_id
    assert (listed["flow_id"], listed["status"], listed["errors"]) == ("text-pipeline", "completed", 0)
    assert listed["activations"] == 10  # the entry, then three texts through clip, tidy and show
    assert listed["flow_file"] == pipeline
    table = run_cli("jobs")
    assert table.returncode == 0, table.stderr
    assert job_id in table.stdout and "text-pipeline" in table.stdout and "completed" in table.stdout

    inspected = run_cli("inspect", job_id, "--json")
    assert inspected.returncode == 0, inspected.stderr
    info = json.loads(inspected.stdout)
    assert (info["job_id"], info["status"], info["flow_file"]) == (job_id, "completed", pipeline)
    assert info["journal"]["store"] == f"sqlite://{job_store}"
    assert info["journal"]["activations"] == 10
    assert [o["data"]["transformed_data"] for o in info["outputs"]] == [
        o["data"]["transformed_data"] for o in summary["outputs"]]
    # The engine's per-routine figures, journaled as the job ended: those run printed.
    assert info["activations"] == {
        rid: {k: v for k, v in row.items() if k != "type"} for rid, row in summary["routines"].items()}
    assert info["activations"]["tidy"]["activations"] == 3
    text = run_cli("inspect", job_id)
    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines()[0] == f"Job {job_id} of flow 'text-pipeline': completed"

    kept = run_cli("jobs", "prune", "--older-than", "1d")
    assert (kept.returncode, kept.stdout.split()[:2]) == (0, ["Pruned", "0"]), kept.stdout + kept.stderr
    pruned = run_cli("jobs", "prune", "--older-than", "0s")
    assert pruned.returncode == 0, pruned.stderr
    assert pruned.stdout.startswith("Pruned 1 finished job(s) older than 0s"), pruned.stdout
    assert jobs(run_cli) == []
    gone = run_cli("inspect", job_id)
    assert gone.returncode == 2, gone.stdout + gone.stderr
    assert gone.stderr == (f"routilux: no job {job_id!r} in the store sqlite://{job_store} (and no job "
                           "file of that name)\n")


def test_the_text_report_names_the_job_and_the_store(run_cli, pipeline, job_store):
    result = run_cli("run", pipeline)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[-2] == f"Journaled in sqlite://{job_store}"
    (listed,) = jobs(run_cli)
    assert lines[-1].startswith(f"Job {listed['job_id']} completed")


def test_no_store_runs_in_memory_and_writes_nothing(run_cli, pipeline, job_store):
    result = run_cli("run", pipeline, "--no-store", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["store"] is None
    assert not job_store.exists()
    assert "Journaled" not in run_cli("run", pipeline, "--no-store").stdout
    assert not job_store.exists()
    # Reading a store that does not exist yet creates nothing either: an empty listing.
    assert jobs(run_cli) == []
    assert not job_store.exists()


def test_without_a_store_setting_run_journals_into_home(run_cli, cli_env, pipeline, tmp_path):
    env = cli_env({"HOME": str(tmp_path)})
    env.pop("ROUTILUX_STORE")
    result = run_cli("run", pipeline, "--json", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    default = tmp_path / ".routilux" / "routilux.db"
    assert json.loads(result.stdout)["store"] == f"sqlite://{default}"
    assert default.is_file()
    assert len(jobs(run_cli, "--store", str(default))) == 1


def test_store_option_wins_over_the_flow_files_store_which_wins_over_the_environment(
        run_cli, tmp_path, job_store):
    flow = tmp_path / "flows" / "named.yaml"
    flow.parent.mkdir()
    flow.write_text(textwrap.dedent("""
        flow_id: named
        store: jobs/named.db
        routines:
          src: {type: FlowInput}
          show: {type: FlowOutput}
        connections: [{from: src.output, to: show.input}]
        entry: src
    """), encoding="utf-8")
    (flow.parent / "jobs").mkdir()
    by_file = run_cli("run", str(flow), "--json", cwd=tmp_path)
    assert by_file.returncode == 0, by_file.stdout + by_file.stderr
    relative_to_the_file = flow.parent / "jobs" / "named.db"
    assert json.loads(by_file.stdout)["store"] == f"sqlite://{relative_to_the_file}"
    assert not job_store.exists()

    chosen = tmp_path / "chosen.db"
    by_option = run_cli("run", str(flow), "--json", "--store", str(chosen))
    assert json.loads(by_option.stdout)["store"] == f"sqlite://{chosen}"
    assert [j["flow_id"] for j in jobs(run_cli, "--store", str(chosen))] == ["named"]
    assert [j["flow_id"] for j in jobs(run_cli, "--store", f"sqlite:///{relative_to_the_file}")] == ["named"]


def test_jobs_filters_by_status_and_flow_and_limits(run_cli, pipeline, examples_dir, workdir):
    assert run_cli("run", pipeline).returncode == 0
    assert run_cli("run", pipeline).returncode == 0
    failing = workdir / "explode.yaml"
    failing.write_text(textwrap.dedent("""
        flow_id: explode
        error_handler: {strategy: stop}
        routines:
          src: {type: FlowInput}
          boom: {type: "cli_fixtures:Explode"}
        connections: [{from: src.output, to: boom.input}]
        entry: src
    """), encoding="utf-8")
    assert run_cli("run", str(failing)).returncode == 1
    every = jobs(run_cli)
    assert [j["flow_id"] for j in every] == ["explode", "text-pipeline", "text-pipeline"]  # newest first
    assert [j["flow_id"] for j in jobs(run_cli, "--status", "failed")] == ["explode"]
    assert len(jobs(run_cli, "--flow", "text-pipeline")) == 2
    assert jobs(run_cli, "--limit", "1") == every[:1]
    assert every[0]["errors"] == 1


def test_the_slow_example_of_the_readme_is_valid(run_cli, examples_dir):
    result = run_cli("validate", str(examples_dir / "slow_fetches.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr
