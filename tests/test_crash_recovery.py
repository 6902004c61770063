"""Crash recovery through real processes and a real SIGKILL, on routilux-sqlite-store.

A child process runs the journaled flow of ``durable_flow.py`` and kills
itself with SIGKILL at a chosen point; a new process recovers the job and
completes it. The job's recorded state must be exactly-once (each item's
shared data, shared-log entry and outputs once, the append slot's merges once
each: counts 1..ITEMS); handler side effects at-least-once (every item's
``work`` ran, some maybe twice: the run that was cut short ran again).
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

import routilux_sqlite_store  # noqa: F401,E402  the store under test (the `all` tox env installs it)
from routilux import open_store, read_journaled_job  # noqa: E402

HERE = Path(__file__).resolve().parent
CHILD = HERE / "durable_flow.py"
sys.path.insert(0, str(HERE))
from durable_flow import FLAKY_ITEM, ITEMS  # noqa: E402

TIMEOUT = 120

KILL_POINTS = [f"work:{k}" for k in range(1, ITEMS + 1)] + ["fanout:3", "fanout:9", "retry", "paused"]


def child(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CHILD), *args], capture_output=True, text=True, timeout=TIMEOUT, cwd=HERE
    )


def side_effects(path: Path) -> Counter:
    if not path.exists():
        return Counter()
    return Counter(tuple(line.split()[:2]) for line in path.read_text().splitlines())


def only_job(store_path: Path) -> str:
    """The id of the one job in the store (a job killed inside ``execute`` never printed it)."""
    store = open_store(str(store_path))
    try:
        (summary,) = store.summaries()
    finally:
        store.close()
    return summary.job_id


def check_exactly_once(store_path: Path, job_id: str) -> None:
    store = open_store(str(store_path))
    try:
        job = read_journaled_job(store, job_id)
        assert store.summary(job_id).status == "completed"
    finally:
        store.close()
    assert job.status == "completed"
    assert job.shared_data == {f"item-{i}": i * 10 for i in range(ITEMS)}
    assert Counter(entry["item"] for entry in job.shared_log) == Counter(range(ITEMS))
    outputs = Counter(
        (o["routine_id"], o["output_type"], tuple(sorted(o["data"].items()))) for o in job.output_log
    )
    expected = Counter(("work", "value", (("item", i),)) for i in range(ITEMS))
    expected.update(("collect", "seen", (("count", n),)) for n in range(1, ITEMS + 1))
    assert outputs == expected
    assert job.routine_states["collect"] == {"seen": [i * 10 for i in range(ITEMS)]}


@pytest.mark.parametrize("kill_point", KILL_POINTS)
def test_a_job_killed_with_sigkill_is_recovered_exactly_once(tmp_path: Path, kill_point: str) -> None:
    store_path, effects = tmp_path / "jobs.db", tmp_path / "effects"
    crashed = child("run", str(store_path), str(effects), kill_point)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-2000:]
    job_id = only_job(store_path)
    before = side_effects(effects)

    recovered = child("recover", str(store_path), str(effects))
    assert recovered.returncode == 0, recovered.stderr[-2000:]
    assert recovered.stdout.split() == ["1"]
    check_exactly_once(store_path, job_id)

    after = side_effects(effects)
    for item in range(ITEMS):
        assert after[("work", str(item))] >= 1, f"item {item} never ran"
    assert after[("flaky", str(FLAKY_ITEM * 10))] >= 2  # the failed attempt and the retry
    reran = sum(after.values()) - sum(before.values())
    assert reran > 0, "the recovery ran nothing"
    if kill_point.startswith("work:"):
        # Items run in order (sequential executor): the k-th run, cut short after its side
        # effect, was item k-1, and it ran again after the recovery.
        k = int(kill_point.partition(":")[2])
        assert after[("work", str(k - 1))] >= 2


def test_two_recoverers_at_once_exactly_one_runs_the_job(tmp_path: Path) -> None:
    store_path, effects, go = tmp_path / "jobs.db", tmp_path / "effects", tmp_path / "go"
    crashed = child("run", str(store_path), str(effects), "work:4")
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-2000:]
    job_id = only_job(store_path)
    recoverers = [
        subprocess.Popen(
            [sys.executable, str(CHILD), "recover", str(store_path), str(effects), str(go)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=HERE,
        )
        for _ in range(2)
    ]
    go.touch()  # both are past their imports and wait for this file: they claim at once
    outcomes = []
    for process in recoverers:
        out, err = process.communicate(timeout=TIMEOUT)
        assert process.returncode == 0, err[-2000:]
        outcomes.append(int(out.split()[0]))
    assert sorted(outcomes) == [0, 1]
    check_exactly_once(store_path, job_id)
