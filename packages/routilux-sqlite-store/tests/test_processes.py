"""Several processes on one file: claims, control requests, crashed owners, reused pids."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from routilux.store import JobHeader, Owner
from routilux_sqlite_store import SqliteStore
from routilux_sqlite_store.liveness import HOST, is_dead, process_started

CLAIMERS = 4


def test_processes_creating_the_file_at_once_share_it(
    db: Path, tmp_path: Path, start_worker: Callable[..., Any]
) -> None:
    go = tmp_path / "go"
    workers = [start_worker("create", db, go, f"flow-{n}") for n in range(CLAIMERS)]
    go.touch()
    for worker in workers:
        _out, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err
    with SqliteStore(db) as store:
        assert store.list_flows() == [f"flow-{n}" for n in range(CLAIMERS)]


def test_processes_claiming_at_once_never_share_a_job(
    db: Path, tmp_path: Path, make_header: Callable[..., JobHeader], start_worker: Callable[..., Any]
) -> None:
    jobs = [f"job-{n}" for n in range(60)]
    dead = Owner(host="gone.invalid", pid=1, lease_until=time.time() - 60)
    with SqliteStore(db) as store:
        for job_id in jobs:
            store.begin_job(make_header(job_id), dead)
    go = tmp_path / "go"
    workers = [start_worker("claim", db, go, f"claimer-{n}.invalid") for n in range(CLAIMERS)]
    go.touch()
    claimed: list[str] = []
    for worker in workers:
        out, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err
        claimed.extend(out.split())
    assert sorted(claimed) == sorted(jobs), "a job was claimed twice or not at all"
    with SqliteStore(db) as store:
        owners = {store.summary(job_id).owner for job_id in jobs}
        assert {owner.host for owner in owners if owner is not None} <= {
            f"claimer-{n}.invalid" for n in range(CLAIMERS)
        }
        assert None not in owners


def test_a_request_reaches_the_owner_in_another_process(
    db: Path, tmp_path: Path, start_worker: Callable[..., Any], wait_for: Callable[..., None]
) -> None:
    SqliteStore(db).close()
    ready = tmp_path / "ready"
    worker = start_worker("own", db, "remote-job", ready)
    wait_for(lambda: ready.exists() or worker.poll() is not None, "the owner getting ready")
    with SqliteStore(db) as store:
        store.request("remote-job", "cancel")
    out, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    assert out.split() == ["remote-job", "cancel"]
    with SqliteStore(db) as store:
        store.request("remote-job", "pause")  # the owner is gone: nobody takes this one
        assert store.claim(Owner(host="recoverer.invalid", pid=1, lease_until=time.time() + 60)) == [
            "remote-job"
        ]


def test_the_jobs_of_a_killed_process_are_claimed_with_their_journal(
    db: Path, start_worker: Callable[..., Any], this_process: Owner
) -> None:
    SqliteStore(db).close()
    worker = start_worker("die", db, "crashed", 25)
    worker.communicate(timeout=60)
    assert worker.returncode == -9
    with SqliteStore(db) as store:
        before = store.summary("crashed")
        assert before.status == "running" and before.owner is not None and before.owner.pid == worker.pid
        assert store.claim(this_process) == ["crashed"]
        assert store.claim(this_process) == [], "this process is alive: its job is not claimable"
        assert [payload["n"] for _kind, _seq, payload in store.records("crashed")] == list(range(25))
        assert store.summary("crashed").owner == this_process


def test_a_live_owner_keeps_its_lease_renewed(
    db: Path, make_header: Callable[..., JobHeader], wait_for: Callable[..., None]
) -> None:
    short = Owner(host=HOST, pid=os.getpid(), lease_until=time.time() + 0.3)
    # Renewed every 0.5 s for 1.5 s: a second of slack for a loaded machine.
    with SqliteStore(db, lease_seconds=1.5) as store:
        store.begin_job(make_header("j"), short)
        assert store.flush(10)

        def renewed() -> bool:
            owner = store.summary("j").owner
            return owner is not None and owner.lease_until > short.lease_until

        wait_for(renewed, "the lease renewal")
        wait_for(lambda: time.time() > short.lease_until, "the first lease running out")
        assert store.claim(Owner(host="thief.invalid", pid=1, lease_until=time.time() + 60)) == []


def test_an_expired_lease_is_dead_on_any_host() -> None:
    now = time.time()
    assert is_dead("elsewhere.invalid", 1, None, now - 1, now)
    assert not is_dead("elsewhere.invalid", 1, None, now + 60, now)
    assert is_dead(None, None, None, None, now), "a job without an owner is nobody's"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process start times are read from /proc")
def test_a_reused_pid_is_told_apart_by_its_start_time() -> None:
    now = time.time()
    mine = process_started(os.getpid())
    assert mine is not None and mine.isdigit()
    assert not is_dead(HOST, os.getpid(), mine, now + 60, now)
    assert is_dead(HOST, os.getpid(), str(int(mine) + 1), now + 60, now), "another process's start time"


def test_a_finished_pid_is_dead() -> None:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    pid = int(child.stdout)
    now = time.time()
    assert is_dead(HOST, pid, None, now + 60, now)
