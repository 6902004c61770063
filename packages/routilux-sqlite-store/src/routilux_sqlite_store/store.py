"""``SqliteStore``: flows, job snapshots and the journals of durable jobs in one SQLite file."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from routilux.plugins import SerializerSpec
from routilux.store import JobHeader, Owner, StoreError
from routilux_sqlite_store.codec import PayloadCodec, default_serializer
from routilux_sqlite_store.database import SYNCHRONOUS, Database, connect, open_file
from routilux_sqlite_store.jobs import JobTables
from routilux_sqlite_store.liveness import HOST, process_started
from routilux_sqlite_store.snapshots import SnapshotTables
from routilux_sqlite_store.writer import Begin, JournalWriter

__all__ = ["SqliteStore"]


class SqliteStore(SnapshotTables, JobTables):
    """A :class:`routilux.store.DurableStore` in the SQLite file ``path`` (created, with no directory).

    Args:
        path: the database file; its directory must exist and be writable.
        durability: ``"normal"`` (``PRAGMA synchronous=NORMAL``: a commit survives
            the process being killed) or ``"full"`` (``FULL``: also a power loss,
            at the price of a sync per commit).
        busy_timeout: seconds to wait for another process's write lock before
            failing with :class:`StoreError`.
        serializer: the payload format of a new file, by plugin name or spec
            (default ``"msgpack"`` when routilux-msgspec is installed, else
            ``"json"``); an existing file keeps its own, and naming another raises.
        lease_seconds: how long a job's lease lasts; this store renews those of
            its process's jobs every ``lease_seconds / 3``.

    Each store object has a writer thread with its own connection for the
    journal, and one connection shared by the callers' threads; several
    processes may open the same file. Call :meth:`close` (it commits what is
    queued).

    Raises:
        ValueError: a bad ``durability``, ``busy_timeout`` or ``lease_seconds``.
        StoreError: the file cannot be used (see ``README.md``: not SQLite, a newer
            schema, missing or read-only directory, locked past ``busy_timeout``).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        durability: str = "normal",
        busy_timeout: float = 5.0,
        serializer: str | SerializerSpec | None = None,
        lease_seconds: float = 30.0,
    ) -> None:
        if durability not in SYNCHRONOUS:
            raise ValueError(f"durability must be one of {', '.join(SYNCHRONOUS)}, got {durability!r}")
        if not busy_timeout >= 0:
            raise ValueError(f"busy_timeout must be >= 0 seconds, got {busy_timeout!r}")
        if not lease_seconds > 0:
            raise ValueError(f"lease_seconds must be > 0 seconds, got {lease_seconds!r}")
        self.path = Path(path).absolute()
        #: The file's absolute ``sqlite:///`` URL (``open_store(url)`` opens it again).
        self.url = f"sqlite:///{self.path.as_posix().lstrip('/')}"
        self.durability = durability
        self.lease_seconds = lease_seconds
        # A format asked for is looked up first: a missing plugin must not leave a new file behind.
        codec = None if serializer is None else PayloadCodec(serializer, self.path)
        asked = None if codec is None else codec.spec.name
        synchronous = SYNCHRONOUS[durability]
        connection, name = open_file(self.path, busy_timeout, synchronous, asked, default_serializer)
        database = Database(connection, self.path, busy_timeout)
        try:
            super().__init__(database, codec or PayloadCodec(name, self.path))
            writer_connection = connect(self.path, busy_timeout, synchronous)
        except BaseException:
            database.close()
            raise
        self._writer = JournalWriter(writer_connection, self.path, busy_timeout, lease_seconds)
        self._close_lock = threading.Lock()

    def pragmas(self) -> dict[str, Any]:
        """The connection settings in force (``journal_mode``, ``synchronous``, ``busy_timeout``
        in ms, ``user_version``), as SQLite reports them."""
        names = ("journal_mode", "synchronous", "busy_timeout", "user_version")
        return {name: self._database.fetch(f"PRAGMA {name}")[0][0] for name in names}

    # -- writing the journal --------------------------------------------------------------------

    def begin_job(self, header: JobHeader, owner: Owner) -> None:
        """Queue the job's row (status ``"running"``) owned by ``owner``.

        Raises:
            TypeError: the header holds a value the serializer cannot encode.
            StoreError: an earlier commit failed, or the store is closed.
        """
        self._writer.check()
        blob = self._codec.encode(attrs.asdict(header, recurse=False), f"cannot begin job {header.job_id!r}")
        started = process_started(owner.pid) if owner.host == HOST else None
        self._writer.queue.put(
            Begin(
                (
                    header.job_id,
                    header.flow_id,
                    header.created_at,
                    time.time(),
                    owner.host,
                    owner.pid,
                    started,
                    owner.lease_until,
                    header.flow_file,
                    blob,
                )
            )
        )
        self._writer.keep_leased(owner.host, owner.pid)

    def append(self, job_id: str, kind: str, seq: int, payload: Any) -> None:
        """Queue one journal record; encodes ``payload`` here and never waits for the disk.

        Raises:
            TypeError: ``payload`` cannot be encoded (the message names the key
                path and type), or a ``"status"`` payload is not a string.
            StoreError: an earlier commit failed, or the store is closed.
        """
        writer = self._writer
        if writer.failure is not None or writer.closed:
            writer.check()
        try:
            blob = self._codec.dumps(payload)
        except Exception as error:
            raise self._codec.refusal(
                payload, error, f"cannot journal a {kind!r} record of job {job_id!r}"
            ) from error
        status = None
        if kind == "status":
            if type(payload) is not str:
                raise TypeError(
                    f"a 'status' record's payload is the status string, got {type(payload).__name__}"
                )
            status = payload
        writer.queue.put((job_id, kind, seq, blob, status))

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued so far is committed; False at ``timeout``.

        Raises:
            StoreError: committing failed (chained to the error the writer met), or the store is closed.
        """
        self._writer.check()
        done = threading.Event()
        self._writer.queue.put(done)
        finished = done.wait(timeout)
        self._writer.check()
        return finished

    def watch_requests(self, owner: Owner, callback: Callable[[str, str], None]) -> None:
        """Call ``callback(job_id, action)`` on the writer thread, within 100 ms, once for each
        request aimed at a job ``owner`` owns (it must return quickly: hand work to another thread).

        A later call for the same owner replaces its callback.
        """
        self._writer.watch(owner.host, owner.pid, callback)

    def claim(self, owner: Owner, job_id: str | None = None, flow_id: str | None = None) -> list[str]:
        """:meth:`JobTables.claim`; the leases of what this process claims are renewed from then on."""
        claimed = super().claim(owner, job_id=job_id, flow_id=flow_id)
        if claimed:
            self._writer.keep_leased(owner.host, owner.pid)
        return claimed

    def recover(self, flow: Any, job_id: str | None = None) -> list[Any]:
        """Take over ``flow``'s unfinished jobs in this store (or ``job_id``) whose process died.

        The flow is journaled to this store from then on; see ``Flow.recover``
        for what a recovered job is and the README of routilux for the
        guarantee. Returns the recovered jobs (``JobState``).
        """
        if flow.store is not self:
            flow.set_store(self)
        return flow.recover(job_id)  # type: ignore[no-any-return]

    def check_payload(self, payload: Any, what: str) -> None:
        """Raise what :meth:`append` would for ``payload`` (``TypeError`` naming ``what``), write nothing."""
        self._codec.encode(payload, what)

    def close(self) -> None:
        """Commit what is queued, stop the writer, close the database (a second call does nothing).

        Raises:
            StoreError: that last commit failed (the store is closed all the same).
        """
        with self._close_lock:
            if self._writer.closed:
                return
            failed_before = self._writer.failure is not None
            self._writer.stop()
            self._database.close()
        if not failed_before and self._writer.failure is not None:
            failure = self._writer.failure
            message = f"{failure} (while closing: the records queued last are lost)"
            raise StoreError(message) from failure.__cause__

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        serializer = self._codec.spec.name
        return f"SqliteStore({str(self.path)!r}, durability={self.durability!r}, serializer={serializer!r})"


def open_sqlite_store(location: str, **options: Any) -> SqliteStore:
    """The ``open`` of the ``sqlite`` store plugin: ``location`` is the URL's path part.

    Raises:
        StoreError: see :class:`SqliteStore`; an empty location is one too.
    """
    if not location:
        raise StoreError("an sqlite store URL needs a file path: sqlite:///abs/path.db or sqlite:rel.db")
    return SqliteStore(location, **options)
