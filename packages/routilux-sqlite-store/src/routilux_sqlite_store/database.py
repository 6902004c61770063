"""Opening a store file: the checks, the connection settings, the schema, and SQLite's errors in words.

Every connection runs in autocommit mode (``isolation_level=None``): reads see
the latest commit, and writes are explicit ``BEGIN IMMEDIATE`` transactions,
which take the write lock up front so that two writers never deadlock halfway.
The file is in WAL mode, so readers never wait for the writer.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from routilux.store import StoreError
from routilux_sqlite_store.schema import SCHEMA_VERSION, foreign_tables, migrate, read_meta, user_version

__all__ = ["DISTRIBUTION", "SYNCHRONOUS", "WRITTEN_BY", "Database", "connect", "immediate", "open_file"]

DISTRIBUTION = "routilux-sqlite-store"
try:
    __version__ = version(DISTRIBUTION)
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"
#: What the ``meta`` table records as the writer of a file.
WRITTEN_BY = f"{DISTRIBUTION} {__version__}"

#: ``PRAGMA synchronous`` of each ``durability``: NORMAL survives a crash of the process, FULL
#: also a power loss (it syncs the WAL at every commit).
SYNCHRONOUS = {"normal": "NORMAL", "full": "FULL"}


def describe(error: sqlite3.Error, path: Path, action: str, busy_timeout: float) -> StoreError:
    """A :class:`StoreError` naming the file, what was being done and why it failed."""
    text = str(error)
    lowered = text.lower()
    if "locked" in lowered or "busy" in lowered:
        reason = (
            f"the database stayed locked by another connection for longer than busy_timeout="
            f"{busy_timeout:g}s ({text})"
        )
    elif "not a database" in lowered:
        reason = f"the file is not an SQLite database ({text})"
    else:
        reason = f"{type(error).__name__}: {text}"
    return StoreError(f"{path}: {action}: {reason}")


def check_location(path: Path) -> None:
    """Refuse, naming the file, a place where the store cannot keep its file (it creates no directory)."""
    directory = path.parent
    if path.is_dir():
        raise StoreError(f"{path}: is a directory; an SQLite store is a file")
    if not directory.is_dir():
        raise StoreError(
            f"{path}: directory {directory} does not exist (the store creates its file, not directories)"
        )
    if not os.access(directory, os.W_OK | os.X_OK):
        raise StoreError(
            f"{path}: directory {directory} is not writable (SQLite keeps its -wal and -shm files there)"
        )
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise StoreError(f"{path}: the file is not readable and writable by this user")


def connect(path: Path, busy_timeout: float, synchronous: str) -> sqlite3.Connection:
    """A connection to ``path`` with the store's settings (any thread may use it, one at a time)."""
    connection = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
    # PRAGMAs take no parameters; both values are checked numbers and names.
    connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000):d}")
    connection.execute(f"PRAGMA synchronous = {synchronous}")
    return connection


@contextmanager
def immediate(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A write transaction: committed at the end of the block, rolled back if it raises."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:  # SQLite may have rolled back already (disk full, I/O error)
            try:
                connection.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # the error being raised says what went wrong; the file is rolled back anyway
        raise


def open_file(
    path: Path, busy_timeout: float, synchronous: str, serializer: str | None, default: Callable[[], str]
) -> tuple[sqlite3.Connection, str]:
    """Open ``path`` (created if absent), migrate it to this schema; ``(connection, serializer name)``.

    ``serializer`` is the format asked for (None: the file's, else ``default()``).

    Raises:
        StoreError: the file cannot be used (see :func:`check_location`), is not
            SQLite, holds another application's tables, has a newer schema, or
            keeps its payloads in another format than ``serializer``.
    """
    check_location(path)
    try:
        connection = connect(path, busy_timeout, synchronous)
    except sqlite3.Error as error:
        raise describe(error, path, "cannot open", busy_timeout) from error
    try:
        if user_version(connection) == 0 and not foreign_tables(connection):
            # A new file: pages freed by prune can be given back (this is only settable before any table).
            connection.execute("PRAGMA auto_vacuum = INCREMENTAL")
        mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(f"{path}: cannot use WAL journaling (SQLite kept journal_mode={mode})")
        chosen = _prepare(connection, path, serializer, default)
    except sqlite3.Error as error:
        connection.close()
        raise describe(error, path, "cannot open", busy_timeout) from error
    except BaseException:
        connection.close()
        raise
    return connection, chosen


def _prepare(
    connection: sqlite3.Connection, path: Path, serializer: str | None, default: Callable[[], str]
) -> str:
    meta, found = read_meta(connection), user_version(connection)
    _check_version(path, found, meta)
    if found == SCHEMA_VERSION and meta.get("written_by") == WRITTEN_BY:
        return _check_serializer(path, meta["serializer"], serializer)
    with immediate(connection):
        # Read again under the write lock: another process may have migrated the file meanwhile.
        meta = read_meta(connection)
        found = user_version(connection)
        _check_version(path, found, meta)
        if found == 0:
            tables = foreign_tables(connection)
            if tables:
                raise StoreError(
                    f"{path}: not a routilux store: it holds the tables {', '.join(tables)} but no "
                    "routilux schema version (PRAGMA user_version is 0)"
                )
        chosen = _check_serializer(path, meta["serializer"], serializer) if "serializer" in meta else None
        chosen = chosen or serializer or default()
        updates = {"written_by": WRITTEN_BY, "serializer": chosen}
        if found == 0:
            updates["created_by"] = WRITTEN_BY
        migrate(connection, found, updates)
    return chosen


def _check_version(path: Path, found: int, meta: dict[str, str]) -> None:
    if found > SCHEMA_VERSION:
        writer = meta.get("written_by", "an unknown writer")
        raise StoreError(
            f"{path}: schema version {found}, written by {writer}; this {WRITTEN_BY} reads schema "
            f"versions up to {SCHEMA_VERSION}: upgrade {DISTRIBUTION} to open it"
        )


def _check_serializer(path: Path, stored: str, asked: str | None) -> str:
    if asked is not None and asked != stored:
        raise StoreError(
            f"{path}: its payloads are encoded with serializer {stored!r}, not {asked!r}; open it with "
            f"serializer={stored!r} (or None)"
        )
    return stored


class Database:
    """The connection the callers' threads share (reads and their own writes), one at a time.

    The journal writer has a connection of its own; this one serves
    ``load_*``, ``records``, ``claim``, ``request``, ... from any thread.
    """

    def __init__(self, connection: sqlite3.Connection, path: Path, busy_timeout: float) -> None:
        self.connection = connection
        self.path = path
        self.busy_timeout = busy_timeout
        self.lock = threading.Lock()

    def error(self, error: sqlite3.Error, action: str) -> StoreError:
        """``error`` as a :class:`StoreError` naming this file and ``action``."""
        return describe(error, self.path, action, self.busy_timeout)

    def fetch(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[Any]:
        """The rows of one query.

        Raises:
            StoreError: SQLite failed (named file and reason).
        """
        with self.lock:
            try:
                return self.connection.execute(sql, parameters).fetchall()
            except sqlite3.Error as error:
                raise self.error(error, "cannot read") from error

    @contextmanager
    def transaction(self, action: str) -> Iterator[sqlite3.Connection]:
        """A ``BEGIN IMMEDIATE`` transaction on this connection; ``StoreError`` (saying ``action``) if
        SQLite fails, with everything of the block rolled back."""
        with self.lock:
            try:
                with immediate(self.connection) as connection:
                    yield connection
            except sqlite3.Error as error:
                raise self.error(error, action) from error

    def reclaim(self) -> None:
        """Give the pages freed by deletions back to the file system (files made before
        ``auto_vacuum`` keep them), then fold the WAL into the file.

        Raises:
            StoreError: SQLite failed (named file and reason).
        """
        with self.lock:
            try:
                # executescript steps the pragma to its end: one step of execute() frees one page.
                self.connection.executescript("PRAGMA incremental_vacuum;")
                self.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            except sqlite3.Error as error:
                raise self.error(error, "cannot reclaim the space of pruned jobs") from error

    def close(self) -> None:
        with self.lock:
            self.connection.close()
