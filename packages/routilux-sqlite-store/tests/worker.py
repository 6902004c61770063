"""A child process for the multi-process tests: ``python worker.py MODE DB ARGS...``.

Modes:

* ``create DB GO NAME``: wait for the file GO, open DB (maybe creating it),
  save an empty flow NAME.
* ``claim DB GO HOST``: wait for the file GO, claim every dead job as owner
  HOST/own pid, print the claimed ids one a line.
* ``own DB JOB READY``: begin JOB owned by this process, watch its requests,
  create READY, print the first request's action and exit.
* ``die DB JOB N``: begin JOB owned by this process, journal N records, flush,
  then SIGKILL itself (no close, no cleanup: a crash).
* ``fill DB LIMIT``: with files limited to LIMIT bytes (RLIMIT_FSIZE), journal
  big records into job "fill" until a commit fails; print how that was reported.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

from routilux import Flow
from routilux.store import JobHeader, Owner, StoreError
from routilux_sqlite_store import SqliteStore
from routilux_sqlite_store.liveness import HOST

DEADLINE = 20.0


def _header(job_id: str) -> JobHeader:
    return JobHeader(
        job_id=job_id,
        flow_id="flow",
        flow_data={},
        flow_hash="0",
        entry_id="e",
        entry_params={},
        created_at=time.time(),
        history_limit=None,
    )


def _me() -> Owner:
    return Owner(host=HOST, pid=os.getpid(), lease_until=time.time() + 3600)


def _wait_for(go: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not Path(go).exists():
        if time.monotonic() > deadline:
            sys.exit("the go file never appeared")
        time.sleep(0.001)


def create(db: str, go: str, name: str) -> None:
    _wait_for(go)
    with SqliteStore(db) as store:
        store.save_flow(Flow(name))


def claim(db: str, go: str, host: str) -> None:
    store = SqliteStore(db)
    _wait_for(go)
    for job_id in store.claim(Owner(host=host, pid=os.getpid(), lease_until=time.time() + 3600)):
        print(job_id)
    store.close()


def own(db: str, job_id: str, ready: str) -> None:
    store = SqliteStore(db)
    store.begin_job(_header(job_id), _me())
    store.flush()
    delivered: list[str] = []
    arrived = threading.Event()

    def deliver(job: str, action: str) -> None:
        delivered.append(f"{job} {action}")
        arrived.set()

    store.watch_requests(_me(), deliver)
    Path(ready).touch()
    if not arrived.wait(DEADLINE):
        sys.exit("no request arrived")
    print(delivered[0])
    store.close()


def die(db: str, job_id: str, count: str) -> None:
    store = SqliteStore(db)
    store.begin_job(_header(job_id), _me())
    for n in range(int(count)):
        store.append(job_id, "done", n, {"n": n})
    store.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def fill(db: str, limit: str) -> None:
    import resource  # POSIX only, like this mode

    # Past the limit a write fails with EFBIG instead of the process being killed by SIGXFSZ.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(limit), int(limit)))
    store = SqliteStore(db)
    store.begin_job(_header("fill"), _me())
    try:
        for n in range(100_000):
            store.append("fill", "emit", n, {"n": n, "blob": "x" * 4000})
            if n % 10 == 9:
                store.flush()
    except StoreError as error:
        print(f"flush: {error!r} cause={type(error.__cause__).__name__}")
    try:
        store.append("fill", "emit", -1, {"n": -1})
    except StoreError as error:
        print(f"append: {error!r} cause={type(error.__cause__).__name__}")
    store.close()


if __name__ == "__main__":
    {"create": create, "claim": claim, "own": own, "die": die, "fill": fill}[sys.argv[1]](*sys.argv[2:])
