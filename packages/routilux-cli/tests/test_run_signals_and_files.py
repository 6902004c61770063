"""``routilux run`` and ``graph`` through a real subprocess: Ctrl-C and SIGTERM, job file suffixes, unwritable
output."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="signal handling is POSIX-only here")

WATCHDOG_S = 120


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
                         ids=["ctrl-c", "sigterm"])
def test_a_signal_pauses_and_saves_the_job_and_resume_completes_it(run_cli, cli_command, cli_env, workdir,
                                                                    gate_flow, signum, status):
    flow, log, release = gate_flow(workdir)
    job_file = workdir / "job.json"
    process = subprocess.Popen(cli_command("run", str(flow), "--save-job", str(job_file)),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
                               env=cli_env(), cwd=workdir)
    # Bounds the whole exchange: a bug shows as a killed process and a failed assert, not a hang.
    watchdog = threading.Timer(WATCHDOG_S, process.kill)
    watchdog.start()
    seen = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            seen.append(line)
            if line.startswith("deliver: waiting"):
                # Item 1's handler is running, blocked on the release file: interrupt now.
                process.send_signal(signum)
            elif line.startswith("Interrupted: pausing"):
                # The pause waits for the running handler: let it finish.
                release.touch()
        code = process.wait()
        stderr = process.stderr.read() if process.stderr else ""
    finally:
        watchdog.cancel()
    transcript = "".join(seen) + stderr
    assert code == status, transcript
    assert signal.Signals(signum).name in transcript
    assert "Traceback" not in transcript
    assert log.read_text().split() == ["0", "1"]
    assert job_file.is_file(), transcript
    assert "paused" in seen[-1]

    inspected = run_cli("inspect", str(job_file), "--json")
    assert inspected.returncode == 0, inspected.stderr
    info = json.loads(inspected.stdout)
    assert info["status"] == "paused"
    assert info["pending_tasks"] > 0
    assert info["flow_file"] == str(flow.resolve())

    resumed = run_cli("resume", str(job_file), "--json")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    summary = json.loads(resumed.stdout)
    assert summary["status"] == "completed"
    assert summary["job_id"] == info["job_id"]
    # Every item delivered exactly once across the two processes.
    assert sorted(log.read_text().split()) == ["0", "1", "2", "3", "4", "5"]
    # The engine's counts are kept in the job: the resumed run adds to those of the first one.
    assert summary["routines"]["deliver"]["activations"] == 6
    # Downstream outputs too: those shown before the pause plus those after the resume, each once.
    shown = "show: delivered "
    before = [json.loads(line[len(shown):])["item"] for line in seen if line.startswith(shown)]
    after = [o["data"]["item"] for o in summary["outputs"] if o["output_type"] == "delivered"]
    assert sorted(before + after) == [0, 1, 2, 3, 4, 5]

    final = run_cli("inspect", str(job_file))
    assert final.returncode == 0, final.stderr
    assert "completed" in final.stdout.splitlines()[0]
    again = run_cli("resume", str(job_file))
    assert again.returncode == 0
    assert "already completed" in again.stderr


# -- job file suffixes ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["job.yaml", "job", "job.json.bak"])
def test_save_job_with_a_suffix_no_serializer_claims_is_refused_before_the_run(run_cli, workdir, gate_flow,
                                                                              name):
    flow, log, release = gate_flow(workdir)
    release.touch()
    target = workdir / name
    result = run_cli("run", str(flow), "--save-job", str(target))
    assert result.returncode == 2, result.stdout + result.stderr
    assert name in result.stderr
    assert ".json" in result.stderr  # the suffixes that would work
    assert "Traceback" not in result.stderr
    assert not target.exists()
    assert not log.exists()  # nothing ran
    assert result.stdout == ""


def test_save_job_with_a_claimed_suffix_writes_that_format(run_cli, workdir, gate_flow):
    flow, log, release = gate_flow(workdir)
    release.touch()
    target = workdir / "jobs" / "done.JSON"
    result = run_cli("run", str(flow), "--save-job", str(target))
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(target.read_text(encoding="utf-8"))["_type"] == "JobState"


def test_resume_refuses_a_save_job_suffix_no_serializer_claims(run_cli, workdir, gate_flow):
    flow, log, release = gate_flow(workdir)
    release.touch()
    job_file = workdir / "job.json"
    assert run_cli("run", str(flow), "--save-job", str(job_file)).returncode == 0
    result = run_cli("resume", str(job_file), "--save-job", str(workdir / "again.yml"))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "again.yml" in result.stderr and ".json" in result.stderr
    assert not (workdir / "again.yml").exists()


# -- graph output that cannot be written ---------------------------------------------------------


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
def test_graph_to_an_unwritable_path_is_one_line_and_exit_1(run_cli, examples_dir, tmp_path, fmt):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    # The tests may run as root, for whom permission bits do not block a write: a path below a
    # regular file cannot be created by anyone.
    flow = str(examples_dir / "text_pipeline.yaml")
    for target in (blocker / "graph.txt", blocker / "deeper" / "graph.txt"):
        result = run_cli("graph", flow, "--format", fmt, "-o", str(target))
        assert result.returncode == 1, result.stdout + result.stderr
        lines = result.stderr.splitlines()
        assert len(lines) == 1, result.stderr
        assert str(target) in lines[0] and "not a directory" in lines[0]
        assert result.stdout == ""


def test_graph_image_to_an_unwritable_path_is_one_line_and_exit_1(run_cli, examples_dir, tmp_path):
    import shutil

    if shutil.which("dot") is None:
        pytest.skip("Graphviz 'dot' is not installed")
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    result = run_cli("graph", str(examples_dir / "text_pipeline.yaml"), "--format", "svg",
                     "-o", str(blocker / "graph.svg"))
    assert result.returncode == 1, result.stdout + result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
