"""Durable jobs on routilux-sqlite-store when something goes wrong: each a clear error, nothing lost.

* A change the store's serializer cannot encode fails that activation (the error names the routine,
  the change and the type) and the job goes on; the rest of the job is journaled.
* The disk filling up mid-job (a child process with RLIMIT_FSIZE): the job fails with the store's
  error, and the file stays consistent and readable by a new store.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import routilux_sqlite_store  # noqa: F401  the store under test (the `all` tox env installs it)
from routilux import Flow, JobState, Routine, open_store, read_journaled_job

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from durable_flow import Source  # noqa: E402  the crash tests' entry: emits `out(item)` per item

TIMEOUT = 120


class Keeper(Routine):
    """Keeps each item in the job; item 1 keeps a value no serializer can encode."""

    def __init__(self) -> None:
        super().__init__()
        self.define_slot("input", self.on_item)

    def on_item(self, item: int) -> None:
        job = self.get_execution_context().job_state
        job.update_shared_data("bad" if item == 1 else f"ok-{item}", object() if item == 1 else item)


def test_an_unencodable_change_fails_its_activation_and_the_job_goes_on(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "jobs.db"))
    try:
        flow = Flow(flow_id="faults", store=store)
        flow.add_routine(Source(), "source")
        flow.add_routine(Keeper(), "keep")
        flow.connect("source", "out", "keep", "input")
        job = flow.execute("source", {"count": 3})
        assert JobState.wait_for_completion(flow, job, timeout=30)
        flow.shutdown()
        store.flush(timeout=30)
        recorded = read_journaled_job(store, job.job_id)
        summary = store.summary(job.job_id)
    finally:
        store.close()
    assert job.status == "completed"
    (error,) = [r.data["error"] for r in job.execution_history if r.event_name == "error"]
    assert "keep.input" in error and "update_shared_data('bad')" in error and "object" in error
    assert recorded.status == "completed"
    assert recorded.shared_data == {"ok-0": 0, "ok-2": 2}
    assert summary.errors == 1 and summary.activations == 4  # the entry and three items


DISK_FULL_CHILD = textwrap.dedent(
    """
    import os, resource, signal, sys
    sys.path.insert(0, sys.argv[2])
    from durable_flow import Source
    from routilux import Flow, JobState, Routine, open_store

    class Big(Routine):
        def __init__(self):
            super().__init__()
            self.define_slot("input", self.on_item)
        def on_item(self, item):
            self.get_execution_context().job_state.update_shared_data(f"blob-{item}", "x" * 20000)

    store = open_store(sys.argv[1])
    flow = Flow(flow_id="disk", store=store)
    flow.add_routine(Source(), "source")
    flow.add_routine(Big(), "big")
    flow.connect("source", "out", "big", "input")
    # A job committed in full first: what the full disk must leave readable, whatever the writer's
    # batching (a first batch past the limit would otherwise leave nothing committed to check).
    first = flow.execute("source", {"count": 3})
    JobState.wait_for_completion(flow, first, timeout=100)
    assert store.flush(100)
    files = [sys.argv[1] + suffix for suffix in ("", "-wal")]
    biggest = max(os.path.getsize(name) for name in files if os.path.exists(name))
    # Past the limit a write fails (EFBIG) instead of the process being killed by SIGXFSZ.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (biggest + 600_000, biggest + 600_000))
    job = flow.execute("source", {"count": 2000})
    JobState.wait_for_completion(flow, job, timeout=100)
    print(first.job_id, job.job_id)
    print(job.status)
    print(" | ".join(str(state.get("error", "")) for state in job.routine_states.values()))
    """
)


def test_the_disk_filling_up_fails_the_job_and_the_store_stays_readable(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    result = subprocess.run(
        [sys.executable, "-c", DISK_FULL_CHILD, str(path), str(HERE)], capture_output=True, text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    ids, status, message = (result.stdout.splitlines() + ["", "", ""])[:3]
    first_id, job_id = ids.split()
    assert status == "failed", result.stdout + result.stderr[-2000:]
    # SQLite reports the refused write (EFBIG) as a disk I/O error; the message names the file.
    assert "cannot commit the journal" in message and str(path) in message, message
    store = open_store(str(path))  # a new store reads what was committed: a consistent prefix
    try:
        first = read_journaled_job(store, first_id)
        summaries = {summary.job_id: summary for summary in store.summaries()}
        recorded = read_journaled_job(store, job_id) if job_id in summaries else None
    finally:
        store.close()
    assert first.status == "completed" and len(first.shared_data) == 3
    assert summaries[first_id].flow_id == "disk"
    # Of the job that met the full disk, what was committed (perhaps nothing) is whole values.
    if recorded is not None:
        assert all(value == "x" * 20000 for value in recorded.shared_data.values())
