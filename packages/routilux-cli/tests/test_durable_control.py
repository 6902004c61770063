"""Controlling a durable job from another process: ``routilux pause|resume|cancel JOB_ID``, and
``routilux resume JOB_ID`` recovering the job of a ``routilux run`` killed with SIGKILL.

Every wait is for a condition (a line in the run's output file, a status in
``routilux jobs --json``), bounded by a deadline; a watchdog kills a run that
would outlive the test.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="signals and pids are POSIX-only here")

DEADLINE_S = 60
POLL_S = 0.05


def wait_for(what: str, condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(POLL_S)


class Run:
    """A ``routilux run`` in the background, its stdout and stderr in files."""

    def __init__(self, process: subprocess.Popen, out: Path, err: Path) -> None:
        self.process, self.out, self.err = process, out, err

    def transcript(self) -> str:
        return self.out.read_text(encoding="utf-8") + self.err.read_text(encoding="utf-8")

    def wait_for_line(self, prefix: str) -> None:
        wait_for(f"a line starting {prefix!r}", lambda: any(
            line.startswith(prefix) for line in self.out.read_text(encoding="utf-8").splitlines()))


@pytest.fixture
def start_run(cli_command, cli_env, workdir: Path) -> Iterator[Callable[..., Run]]:
    """``start_run(*args)``: ``routilux run ARGS`` in the background, killed by a watchdog at the deadline."""
    started: list[tuple[subprocess.Popen, threading.Timer]] = []

    def start(*args: str) -> Run:
        out, err = workdir / f"run{len(started)}.out", workdir / f"run{len(started)}.err"
        with out.open("w") as stdout, err.open("w") as stderr:
            process = subprocess.Popen(cli_command("run", *args), stdout=stdout, stderr=stderr,
                                       env=cli_env(), cwd=workdir)
        watchdog = threading.Timer(DEADLINE_S * 2, process.kill)
        watchdog.start()
        started.append((process, watchdog))
        return Run(process, out, err)

    yield start
    for process, watchdog in started:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
        process.wait()


def status_of(run_cli, job_id: str) -> str | None:
    result = run_cli("jobs", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    return next((job["status"] for job in json.loads(result.stdout) if job["job_id"] == job_id), None)


def the_running_job(run_cli) -> str:
    """The id of the one job of the store, once ``routilux jobs`` shows it running."""
    found: list[str] = []

    def running() -> bool:
        result = run_cli("jobs", "--json", "--status", "running")
        listed = json.loads(result.stdout) if result.returncode == 0 else []
        found[:] = [job["job_id"] for job in listed]
        return bool(found)

    wait_for("the job to show as running", running)
    (job_id,) = found
    return job_id


@contextmanager
def released(release: Path) -> Iterator[None]:
    """Create the gate file on the way out, so a blocked handler never outlives a failed assert."""
    try:
        yield
    finally:
        release.touch()


def test_pause_then_resume_a_job_running_in_another_process(run_cli, start_run, workdir, gate_flow):
    flow, log, release = gate_flow(workdir)
    run = start_run(str(flow))
    with released(release):
        job_id = the_running_job(run_cli)
        running = run_cli("resume", job_id)
        assert running.returncode == 1 and running.stderr.count("\n") == 1, running.stdout + running.stderr
        assert f"job {job_id} is running in process {run.process.pid}" in running.stderr
        paused = run_cli("pause", job_id)
        assert paused.returncode == 0, paused.stdout + paused.stderr
        assert paused.stdout == f"Job {job_id} paused (status: paused)\n"
        assert status_of(run_cli, job_id) == "paused"
        again = run_cli("pause", job_id)
        assert (again.returncode, again.stdout) == (0, f"Job {job_id} is already paused\n")
        run.wait_for_line(f"Job {job_id} paused; continue it with: routilux resume {job_id}")

        resumed = run_cli("resume", job_id)
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        assert resumed.stdout.startswith(f"Job {job_id} resumed"), resumed.stdout
    assert run.process.wait(DEADLINE_S) == 0, run.transcript()
    assert status_of(run_cli, job_id) == "completed"
    assert sorted(log.read_text().split()) == ["0", "1", "2", "3", "4", "5"]
    # A final job cannot be paused: one line, exit status 1.
    late = run_cli("pause", job_id)
    assert late.returncode == 1 and late.stderr.count("\n") == 1, late.stderr
    assert "completed" in late.stderr


def test_cancel_a_job_running_in_another_process(run_cli, start_run, workdir, gate_flow):
    flow, log, release = gate_flow(workdir)
    run = start_run(str(flow))
    with released(release):
        run.wait_for_line("deliver: waiting")  # item 1's handler is blocked on the gate file
        job_id = the_running_job(run_cli)
        running = run_cli("inspect", job_id)
        assert running.returncode == 0, running.stdout + running.stderr
        assert "per-routine figures: none current" in running.stdout
        cancelled = run_cli("cancel", job_id)
        assert cancelled.returncode == 0, cancelled.stdout + cancelled.stderr
        assert cancelled.stdout == f"Job {job_id} cancelled (status: cancelled)\n"
    assert run.process.wait(DEADLINE_S) == 1, run.transcript()
    assert f"Job {job_id} cancelled" in run.transcript()
    assert status_of(run_cli, job_id) == "cancelled"
    # The running handler finished; the queued items were dropped.
    assert log.read_text().split() == ["0", "1"]
    # The figures were journaled once the handler in flight had ended.
    inspected = run_cli("inspect", job_id, "--json")
    assert inspected.returncode == 0, inspected.stdout + inspected.stderr
    deliver = json.loads(inspected.stdout)["activations"]["deliver"]
    assert (deliver["activations"], deliver["succeeded"], deliver["queued"]) == (2, 2, 0)


def test_resume_recovers_the_job_of_a_killed_run_and_refuses_a_changed_flow_file(
        run_cli, start_run, workdir, gate_flow):
    flow, log, release = gate_flow(workdir)
    run = start_run(str(flow))
    run.wait_for_line("deliver: waiting")
    job_id = the_running_job(run_cli)
    run.process.send_signal(signal.SIGKILL)
    assert run.process.wait(DEADLINE_S) == -signal.SIGKILL
    assert status_of(run_cli, job_id) == "running"  # as the dead process left it
    orphan = run_cli("cancel", job_id)  # nobody would hear the request
    assert orphan.returncode == 1 and orphan.stderr.count("\n") == 1, orphan.stdout + orphan.stderr
    assert f"its process {run.process.pid} on" in orphan.stderr
    assert f"routilux resume {job_id}" in orphan.stderr

    original = flow.read_bytes()
    flow.write_bytes(original + b"# edited\n")
    changed = run_cli("resume", job_id)
    assert changed.returncode == 2, changed.stdout + changed.stderr
    assert changed.stderr.count("\n") == 1 and "Traceback" not in changed.stderr, changed.stderr
    assert str(flow) in changed.stderr and "changed since the job started" in changed.stderr
    flow.unlink()
    gone = run_cli("resume", job_id)
    assert gone.returncode == 2 and "cannot read its flow file" in gone.stderr, gone.stderr
    flow.write_bytes(original)

    release.touch()
    resumed = run_cli("resume", job_id, "--json")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    summary = json.loads(resumed.stdout)
    assert (summary["job_id"], summary["status"]) == (job_id, "completed")
    assert f"Recovering job {job_id} of flow 'gate'" in resumed.stderr
    # Item 1 was running at the kill and never wrote its line: it runs again, every item is delivered.
    delivered = log.read_text().split()
    assert sorted(set(delivered)) == ["0", "1", "2", "3", "4", "5"]
    assert delivered.count("1") == 1
    assert status_of(run_cli, job_id) == "completed"

    nothing = run_cli("resume", "--all")
    assert nothing.returncode == 0, nothing.stdout + nothing.stderr
    assert "to recover" in nothing.stdout
    done = run_cli("resume", job_id)
    assert done.returncode == 0 and "already completed" in done.stderr, done.stderr


def test_resume_all_recovers_every_dead_job(run_cli, start_run, workdir, gate_flow):
    flow, log, release = gate_flow(workdir)
    first = start_run(str(flow))
    first.wait_for_line("deliver: waiting")
    second = start_run(str(flow))
    second.wait_for_line("deliver: waiting")
    for run in (first, second):
        run.process.send_signal(signal.SIGKILL)
        assert run.process.wait(DEADLINE_S) == -signal.SIGKILL
    release.touch()
    recovered = run_cli("resume", "--all", "--json")
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    summaries = json.loads(recovered.stdout)
    assert [s["status"] for s in summaries] == ["completed", "completed"]
    listed = json.loads(run_cli("jobs", "--json").stdout)
    assert {s["job_id"] for s in summaries} == {job["job_id"] for job in listed}
    assert [job["status"] for job in listed] == ["completed", "completed"]


def test_a_signal_leaves_the_job_paused_in_the_store_and_resume_continues_it(run_cli, start_run, workdir,
                                                                              gate_flow):
    flow, log, release = gate_flow(workdir)
    run = start_run(str(flow))
    run.wait_for_line("deliver: waiting")
    job_id = the_running_job(run_cli)
    run.process.send_signal(signal.SIGINT)
    run.wait_for_line("Interrupted: pausing")
    release.touch()  # the pause waits for the running handler
    assert run.process.wait(DEADLINE_S) == 130, run.transcript()
    assert f"Continue it with: routilux resume {job_id} --store sqlite://" in run.transcript()
    assert status_of(run_cli, job_id) == "paused"

    resumed = run_cli("resume", job_id, "--json")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert json.loads(resumed.stdout)["status"] == "completed"
    assert "(status: paused," in resumed.stderr
    assert sorted(log.read_text().split()) == ["0", "1", "2", "3", "4", "5"]
