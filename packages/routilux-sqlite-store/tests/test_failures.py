"""Failing writes: a lock held past busy_timeout, a file size limit. The file stays consistent."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from routilux import Flow
from routilux.store import JobHeader, Owner, StoreError
from routilux_sqlite_store import SqliteStore


@contextmanager
def _write_locked(db: Path) -> Iterator[None]:
    """Another connection holding the write lock for the block."""
    blocker = sqlite3.connect(db, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()


def test_a_lock_held_past_busy_timeout_names_file_and_timeout(db: Path) -> None:
    SqliteStore(db).close()
    with _write_locked(db), SqliteStore(db, busy_timeout=0.2) as store:
        with pytest.raises(StoreError) as raised:
            store.save_flow(Flow("f"))
        text = str(raised.value)
        assert str(db) in text and "busy_timeout=0.2s" in text and "cannot save flow 'f'" in text
        assert isinstance(raised.value.__cause__, sqlite3.OperationalError)
        assert store.list_flows() == [], "readers must keep working while another process writes"


def test_a_failed_commit_fails_every_later_append_and_flush(
    db: Path, make_header: Callable[..., JobHeader], this_process: Owner
) -> None:
    with SqliteStore(db, busy_timeout=0.2) as store:
        store.begin_job(make_header("j"), this_process)
        store.append("j", "done", 1, {"n": 1})
        assert store.flush(10)
        with _write_locked(db):
            store.append("j", "done", 2, {"n": 2})
            with pytest.raises(StoreError, match="busy_timeout=0.2s") as raised:
                store.flush(10)
            assert isinstance(raised.value.__cause__, sqlite3.OperationalError)
        with pytest.raises(StoreError, match="the journal failed") as again:
            store.append("j", "done", 3, {"n": 3})
        assert isinstance(again.value.__cause__, sqlite3.OperationalError)
        with pytest.raises(StoreError):
            store.flush(10)
        assert store.records("j") == [("done", 1, {"n": 1})], "reads go on after the writer failed"
    with SqliteStore(db) as reopened:
        assert reopened.records("j") == [("done", 1, {"n": 1})]
        assert reopened.summary("j").activations == 1


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_a_full_disk_fails_the_writer_and_leaves_a_prefix(db: Path, start_worker: Callable[..., Any]) -> None:
    SqliteStore(db).close()
    worker = start_worker("fill", db, 512 * 1024)
    out, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err
    assert "flush: StoreError(" in out and str(db) in out, out
    assert "append: StoreError(" in out and "the journal failed" in out, out
    assert out.count("cause=OperationalError") == 2, out
    with SqliteStore(db) as store:
        numbers = [payload["n"] for _kind, _seq, payload in store.records("fill")]
        assert numbers == list(range(len(numbers))), "the journal is not a prefix of the appends"
        assert len(numbers) >= 10
        assert store.summary("fill").status == "running"


def test_close_reports_a_failed_last_commit(
    db: Path, make_header: Callable[..., JobHeader], this_process: Owner
) -> None:
    SqliteStore(db).close()
    store = SqliteStore(db, busy_timeout=0.2)
    with _write_locked(db):
        store.begin_job(make_header("j"), this_process)
        with pytest.raises(StoreError, match="while closing"):
            store.close()
    store.close()  # closed already: nothing more to report
    with SqliteStore(db) as reopened:
        with pytest.raises(KeyError):
            reopened.summary("j")
