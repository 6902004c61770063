"""The journal writer: one thread per store object, committing what ``append`` queued, in order.

Callers put items on a ``queue.SimpleQueue`` (a C queue: a put costs well under
a microsecond and never waits). The thread takes everything queued, commits it
in one transaction (group commit: many records, one sync), then wakes the
``flush`` calls waiting for that batch. Records are inserted in queue order,
so the commit order is the order of the ``append`` calls and a crash leaves a
prefix of it.

Between batches, at least every :data:`POLL_INTERVAL` seconds, the thread
also hands the control requests aimed at the watched owners' jobs to their
callbacks, and every ``lease_seconds / 3`` renews the leases of the jobs this
process owns.
"""

from __future__ import annotations

import logging
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from routilux.store import StoreError
from routilux_sqlite_store.database import describe, immediate
from routilux_sqlite_store.liveness import HOST
from routilux_sqlite_store.schema import FINAL_STATUSES, UNFINISHED

__all__ = ["POLL_INTERVAL", "Begin", "JournalWriter"]

logger = logging.getLogger(__name__)

#: Longest wait between two reads of the control requests (deliveries take at most this long).
POLL_INTERVAL = 0.05
#: Most items committed in one transaction (bounds a batch's memory and the wait of its flushes).
BATCH_LIMIT = 10_000

_STOP = object()


@attrs.frozen
class Begin:
    """A queued ``begin_job``: the job's new row (``row`` in the column order of :data:`INSERT_JOB`)."""

    row: tuple[Any, ...]


INSERT_JOB = (
    "INSERT INTO jobs (job_id, flow_id, status, created_at, updated_at, owner_host, owner_pid, "
    "owner_started, lease_until, flow_file, header) VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_RECORD = "INSERT INTO records (job, kind, seq, payload) VALUES (?, ?, ?, ?)"
_COUNT = "UPDATE jobs SET activations = activations + ?, errors = errors + ?, updated_at = ? WHERE id = ?"
_SET_STATUS = (
    "UPDATE jobs SET activations = activations + ?, errors = errors + ?, updated_at = ?, status = ?, "
    "finished_at = ? WHERE id = ?"
)
_PENDING_REQUESTS = (
    "SELECT r.id, r.job_id, r.action FROM requests AS r JOIN jobs AS j ON j.job_id = r.job_id "
    "WHERE j.owner_host = ? AND j.owner_pid = ? ORDER BY r.id"
)
_RENEW = f"UPDATE jobs SET lease_until = ? WHERE owner_host = ? AND owner_pid = ? AND {UNFINISHED}"


def _job_keys(connection: sqlite3.Connection, job_ids: set[str]) -> dict[str, int]:
    """The ``jobs.id`` of each of ``job_ids`` that has a row."""
    keys = {}
    for job_id in job_ids:
        row = connection.execute("SELECT id FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
        if row is not None:
            keys[job_id] = int(row[0])
    return keys


def _apply(
    connection: sqlite3.Connection,
    begins: list[tuple[Any, ...]],
    records: list[tuple[str, str, int, bytes]],
    counts: dict[str, list[Any]],
) -> dict[str, int]:
    """Insert a batch's jobs and records and update its jobs' counters and statuses, in the open
    transaction; returns the key of each job of the batch that has a row."""
    connection.executemany(INSERT_JOB, begins)
    keys = _job_keys(connection, counts.keys() | {record[0] for record in records})
    rows = [(keys[job_id], kind, seq, payload) for job_id, kind, seq, payload in records if job_id in keys]
    connection.executemany(_INSERT_RECORD, rows)
    now = time.time()
    for job_id, (activations, errors, status) in counts.items():
        key = keys.get(job_id)
        if key is None:
            continue
        if status is None:
            connection.execute(_COUNT, (activations, errors, now, key))
        else:
            finished = now if status in FINAL_STATUSES else None
            connection.execute(_SET_STATUS, (activations, errors, now, status, finished, key))
    return keys


class JournalWriter:
    """The writer thread of one store object, on a connection of its own (closed by :meth:`stop`)."""

    def __init__(
        self, connection: sqlite3.Connection, path: Path, busy_timeout: float, lease_seconds: float
    ) -> None:
        #: Where callers put records (5-tuples), :class:`Begin` items and flush events.
        self.queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        #: The error of the first failed commit; nothing is written after it.
        self.failure: StoreError | None = None
        self.closed = False
        self._connection = connection
        self._path = path
        self._busy_timeout = busy_timeout
        self._lease_seconds = lease_seconds
        self._lock = threading.Lock()
        self._watchers: dict[tuple[str, int], Callable[[str, str], None]] = {}
        self._renewing = False
        self._thread = threading.Thread(target=self._run, name=f"routilux-sqlite-writer:{path}", daemon=True)
        self._thread.start()

    def check(self) -> None:
        """Raise :class:`StoreError` if a commit failed (chained to its cause) or the store is closed."""
        failure = self.failure
        if failure is not None:
            raise StoreError(f"{failure} (the journal failed: nothing more is written to it)") from (
                failure.__cause__
            )
        if self.closed:
            raise StoreError(f"{self._path}: the store is closed")

    def watch(self, host: str, pid: int, callback: Callable[[str, str], None]) -> None:
        """Deliver the requests aimed at the jobs of owner ``host``/``pid`` to ``callback``."""
        with self._lock:
            self._watchers[(host, pid)] = callback

    def keep_leased(self, host: str, pid: int) -> None:
        """Renew the leases of the jobs of owner ``host``/``pid`` from now on, if it is this process
        (no other process is this writer's to vouch for)."""
        if host == HOST and pid == os.getpid():
            self._renewing = True

    def stop(self) -> None:
        """Commit what is queued, end the thread and close its connection."""
        self.closed = True
        self.queue.put(_STOP)
        self._thread.join()
        self._connection.close()
        # A flush that raced close() queued its event after the stop item: wake it (it then
        # raises, the store being closed) instead of leaving it waiting for a thread that is gone.
        while True:
            try:
                item = self.queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, threading.Event):
                item.set()

    # -- the thread ---------------------------------------------------------------------------------

    def _run(self) -> None:
        next_poll = next_renewal = time.monotonic()
        stopping = False
        while not stopping:
            try:
                batch = [self.queue.get(timeout=max(0.0, min(next_poll, next_renewal) - time.monotonic()))]
            except queue.Empty:
                batch = []
            while len(batch) < BATCH_LIMIT:
                try:
                    batch.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            stopping = self._commit(batch)
            now = time.monotonic()
            if now >= next_poll:
                self._deliver_requests()
                next_poll = now + POLL_INTERVAL
            if now >= next_renewal:
                self._renew_leases()
                next_renewal = now + self._lease_seconds / 3

    def _commit(self, batch: list[Any]) -> bool:
        """Write the batch in one transaction, then wake its flushes; True if it held the stop item."""
        begins: list[tuple[Any, ...]] = []
        records: list[tuple[str, str, int, bytes]] = []
        counts: dict[str, list[Any]] = {}  # job_id -> [activations, errors, status or None]
        flushes: list[threading.Event] = []
        stopping = False
        for item in batch:
            if type(item) is tuple:
                job_id, kind, seq, payload, status = item
                records.append((job_id, kind, seq, payload))
                if kind == "done" or kind == "failed" or kind == "status":
                    count = counts.setdefault(job_id, [0, 0, None])
                    if kind == "status":
                        count[2] = status
                    else:
                        count[0] += 1
                        count[1] += kind == "failed"
            elif isinstance(item, Begin):
                begins.append(item.row)
            elif isinstance(item, threading.Event):
                flushes.append(item)
            else:
                stopping = True
        if (begins or records) and self.failure is None:
            self._write(begins, records, counts)
        for event in flushes:
            event.set()
        return stopping

    def _write(
        self,
        begins: list[tuple[Any, ...]],
        records: list[tuple[str, str, int, bytes]],
        counts: dict[str, list[Any]],
    ) -> None:
        try:
            with immediate(self._connection) as connection:
                keys = _apply(connection, begins, records, counts)
        except Exception as error:  # whatever stopped the commit, the journal is broken from here on
            cause = error if isinstance(error, sqlite3.Error) else None
            failure = (
                describe(cause, self._path, "cannot commit the journal", self._busy_timeout)
                if cause is not None
                else StoreError(f"{self._path}: cannot commit the journal: {type(error).__name__}: {error}")
            )
            failure.__cause__ = error
            self.failure = failure
            logger.error("%s", failure)
            return
        unknown = sorted({record[0] for record in records} - keys.keys())
        if unknown:  # an engine bug; failing the journal of every other job would not undo it
            logger.error("%s: dropped the records of jobs never begun: %s", self._path, ", ".join(unknown))

    def _deliver_requests(self) -> None:
        with self._lock:
            watchers = list(self._watchers.items())
        for (host, pid), callback in watchers:
            try:
                taken = self._take_requests(host, pid)
            except sqlite3.Error as error:  # retried at the next poll; the journal is not affected
                logger.warning(
                    "%s", describe(error, self._path, "cannot read control requests", self._busy_timeout)
                )
                continue
            for job_id, action in taken:
                try:
                    callback(job_id, action)
                except Exception:  # the caller's bug must not stop the journal of every job
                    logger.exception("control request callback failed for job %r (%s)", job_id, action)

    def _take_requests(self, host: str, pid: int) -> list[tuple[str, str]]:
        # Looked at without the write lock first: nearly every poll finds nothing.
        if not self._connection.execute(_PENDING_REQUESTS, (host, pid)).fetchone():
            return []
        taken = []
        with immediate(self._connection) as connection:
            for request_id, job_id, action in connection.execute(_PENDING_REQUESTS, (host, pid)).fetchall():
                if connection.execute("DELETE FROM requests WHERE id = ?", (request_id,)).rowcount == 1:
                    taken.append((str(job_id), str(action)))
        return taken

    def _renew_leases(self) -> None:
        if not self._renewing:
            return
        try:
            with immediate(self._connection) as connection:
                connection.execute(_RENEW, (time.time() + self._lease_seconds, HOST, os.getpid()))
        except sqlite3.Error as error:  # retried at the next renewal, well before the lease ends
            logger.warning(
                "%s", describe(error, self._path, "cannot renew the job leases", self._busy_timeout)
            )
