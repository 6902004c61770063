"""The journal's rows as SQLite holds them: what prune removes, what is refused or dropped."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from routilux.store import JobHeader, Owner
from routilux_sqlite_store import SqliteStore


def _count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as connection:
        return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_prune_removes_the_rows_of_pruned_jobs(
    db: Path, make_header: Callable[..., JobHeader], this_process: Owner
) -> None:
    with SqliteStore(db) as store:
        for job_id, status in (("old", "completed"), ("kept", None)):
            store.begin_job(make_header(job_id, created_at=time.time() - 100), this_process)
            store.append(job_id, "emit", 1, {"n": 1})
            if status is not None:
                store.append(job_id, "status", 0, status)
        assert store.flush(10)
        store.request("old", "cancel")
        assert store.prune(time.time() - 50) == 1
    assert (_count(db, "jobs"), _count(db, "records"), _count(db, "requests")) == (1, 1, 0)


def test_prune_gives_the_space_back(
    db: Path, make_header: Callable[..., JobHeader], this_process: Owner
) -> None:
    with SqliteStore(db) as store:
        store.begin_job(make_header("big", created_at=time.time() - 100), this_process)
        for seq in range(2000):
            store.append("big", "done", seq, {"blob": "x" * 500})
        store.append("big", "status", 0, "completed")
        assert store.flush(30)
    full = db.stat().st_size + _wal(db)
    with SqliteStore(db) as store:
        assert store.prune(time.time()) == 1
    assert db.stat().st_size + _wal(db) < full / 5


def _wal(db: Path) -> int:
    wal = db.with_name(db.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def test_a_status_payload_must_be_a_string(
    db: Path, make_header: Callable[..., JobHeader], this_process: Owner
) -> None:
    with SqliteStore(db) as store:
        store.begin_job(make_header("j"), this_process)
        with pytest.raises(TypeError, match="payload is the status string, got dict"):
            store.append("j", "status", 0, {"status": "completed"})
        assert store.flush(10)
        assert store.summary("j").status == "running"


def test_records_of_a_job_never_begun_are_dropped_and_logged(
    db: Path, make_header: Callable[..., JobHeader], this_process: Owner, caplog: pytest.LogCaptureFixture
) -> None:
    with SqliteStore(db) as store, caplog.at_level(logging.ERROR, logger="routilux_sqlite_store.writer"):
        store.begin_job(make_header("j"), this_process)
        store.append("ghost", "done", 1, {"n": 1})
        store.append("j", "done", 1, {"n": 1})
        assert store.flush(10)
        assert store.records("j") == [("done", 1, {"n": 1})]
        assert store.records("ghost") == []
    assert "dropped the records of jobs never begun: ghost" in caplog.text


def test_records_name_their_job_by_its_row_key(
    db: Path, make_header: Callable[..., JobHeader], this_process: Owner
) -> None:
    job_id = "a-rather-long-job-id-like-a-uuid-0123456789"
    with SqliteStore(db) as store:
        store.begin_job(make_header(job_id), this_process)
        store.append(job_id, "done", 1, {"n": 1})
        assert store.flush(10)
    with sqlite3.connect(db) as connection:
        ((key, job),) = connection.execute("SELECT jobs.id, records.job FROM jobs, records").fetchall()
    assert key == job and isinstance(job, int)
