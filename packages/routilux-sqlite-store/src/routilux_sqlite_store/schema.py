"""The tables of a store file, and the migrations that bring an older file up to this version.

The schema version is SQLite's ``PRAGMA user_version``. ``MIGRATIONS[n]`` takes
a file from version ``n`` to ``n + 1``; version 0 is an empty database (what
``sqlite3.connect`` creates), so the first migration creates the tables. A
file is migrated inside one ``BEGIN IMMEDIATE`` transaction: another process
opening it at the same time waits, then finds it migrated.

The ``meta`` table says what wrote the file: ``created_by`` and ``written_by``
(``routilux-sqlite-store <version>``) and ``serializer``, the format of every
payload in it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

__all__ = [
    "FINAL",
    "FINAL_STATUSES",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "UNFINISHED",
    "UNFINISHED_STATUSES",
    "migrate",
    "read_meta",
]

#: Statuses after which a job never changes again (``finished_at`` is set).
FINAL_STATUSES = ("completed", "failed", "cancelled")
#: Statuses of jobs that a dead owner leaves for a recoverer to claim.
UNFINISHED_STATUSES = ("running", "paused")


def _status_in(statuses: tuple[str, ...]) -> str:
    return f"status IN ({', '.join(repr(status) for status in statuses)})"


#: SQL terms for the two groups; the scans use UNFINISHED exactly as the partial index
#: jobs_unfinished spells it, which is what lets SQLite use the index.
FINAL = _status_in(FINAL_STATUSES)
UNFINISHED = _status_in(UNFINISHED_STATUSES)

_VERSION_1 = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE flows (flow_id TEXT PRIMARY KEY, data BLOB NOT NULL, saved_at REAL NOT NULL)",
    "CREATE TABLE snapshots (job_id TEXT PRIMARY KEY, data BLOB NOT NULL, saved_at REAL NOT NULL)",
    # ``id`` is the short key the records name their job by (a job id is typically a 36-byte uuid).
    """CREATE TABLE jobs (
        id INTEGER PRIMARY KEY,
        job_id TEXT NOT NULL UNIQUE,
        flow_id TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        finished_at REAL,
        activations INTEGER NOT NULL DEFAULT 0,
        errors INTEGER NOT NULL DEFAULT 0,
        owner_host TEXT,
        owner_pid INTEGER,
        owner_started TEXT,
        lease_until REAL,
        flow_file TEXT,
        header BLOB NOT NULL
    )""",
    "CREATE INDEX jobs_created ON jobs (created_at)",
    "CREATE INDEX jobs_status ON jobs (status, created_at)",
    "CREATE INDEX jobs_flow ON jobs (flow_id, created_at)",
    # The recovery scan reads only these rows.
    f"CREATE INDEX jobs_unfinished ON jobs (created_at) WHERE {UNFINISHED}",
    # The rowid is the commit order of the records of all jobs.
    """CREATE TABLE records (
        id INTEGER PRIMARY KEY,
        job INTEGER NOT NULL,
        kind TEXT NOT NULL,
        seq INTEGER NOT NULL,
        payload BLOB NOT NULL
    )""",
    "CREATE INDEX records_job ON records (job, id)",
    """CREATE TABLE requests (
        id INTEGER PRIMARY KEY,
        job_id TEXT NOT NULL,
        action TEXT NOT NULL,
        created_at REAL NOT NULL
    )""",
    "CREATE INDEX requests_job ON requests (job_id)",
)

#: ``MIGRATIONS[n]``: the statements that take a file from schema version ``n`` to ``n + 1``.
MIGRATIONS: tuple[tuple[str, ...], ...] = (_VERSION_1,)
#: The schema version this package writes.
SCHEMA_VERSION = len(MIGRATIONS)


def user_version(connection: sqlite3.Connection) -> int:
    """The file's schema version."""
    return int(connection.execute("PRAGMA user_version").fetchone()[0])


def read_meta(connection: sqlite3.Connection) -> dict[str, str]:
    """The ``meta`` table as a dict (empty for a file without one)."""
    try:
        rows = connection.execute("SELECT key, value FROM meta").fetchall()
    except sqlite3.OperationalError:  # no such table: a version-0 file
        return {}
    return {str(key): str(value) for key, value in rows}


def foreign_tables(connection: sqlite3.Connection) -> list[str]:
    """Tables of a version-0 file: a store starts from an empty database, never from another's."""
    rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return sorted(str(name) for (name,) in rows if not str(name).startswith("sqlite_"))


def migrate(
    connection: sqlite3.Connection,
    start: int,
    meta: dict[str, str],
    migrations: Sequence[Sequence[str]] = MIGRATIONS,
) -> None:
    """Run ``migrations[start:]`` and record the new version and ``meta``, in the open transaction.

    The caller holds a ``BEGIN IMMEDIATE`` transaction and commits (or rolls
    back on an error, leaving the file as it was).
    """
    for statements in migrations[start:]:
        for statement in statements:
            connection.execute(statement)
    connection.executemany(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        sorted(meta.items()),
    )
    # PRAGMA takes no parameters; the version is an int this module computed.
    connection.execute(f"PRAGMA user_version = {len(migrations):d}")
