"""Shared helpers for routilux-sqlite-store's tests.

Tests run with ``--import-mode=importlib`` and this directory has no
``__init__.py``, so test modules cannot import a helper module: what they share
is offered here as fixtures. ``worker.py`` is the program the multi-process
tests run in child processes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from routilux.store import JobHeader, Owner
from routilux_sqlite_store.liveness import HOST

WORKER = Path(__file__).with_name("worker.py")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Where a test's store file goes."""
    return tmp_path / "store.db"


@pytest.fixture
def make_header() -> Callable[..., JobHeader]:
    """``make_header(job_id, flow_id="flow", created_at=now)``: a small job header."""

    def make(job_id: str, flow_id: str = "flow", created_at: float | None = None) -> JobHeader:
        return JobHeader(
            job_id=job_id,
            flow_id=flow_id,
            flow_data={"_type": "Flow", "flow_id": flow_id},
            flow_hash="0" * 64,
            entry_id="source",
            entry_params={},
            created_at=time.time() if created_at is None else created_at,
            history_limit=None,
        )

    return make


@pytest.fixture
def this_process() -> Owner:
    """This process as a job owner, with a lease good for an hour."""
    return Owner(host=HOST, pid=os.getpid(), lease_until=time.time() + 3600)


@pytest.fixture
def start_worker() -> Callable[..., subprocess.Popen[str]]:
    """``start_worker(*args)``: ``worker.py args`` in a child process, stdout and stderr piped."""
    started: list[subprocess.Popen[str]] = []

    def start(*args: object) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, str(WORKER), *map(str, args)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate()


@pytest.fixture
def wait_for() -> Callable[[Callable[[], bool], str], None]:
    """``wait_for(predicate, what)``: poll until true, failing after 20 s."""

    def wait(predicate: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + 20
        while not predicate():
            assert time.monotonic() < deadline, f"{what} did not happen within 20s"
            time.sleep(0.01)

    return wait
