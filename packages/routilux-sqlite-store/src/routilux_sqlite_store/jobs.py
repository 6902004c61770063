"""The journal part of the store read back: headers, records, listings, claims, requests, pruning.

These run on the callers' connection; the writes among them (``claim``,
``request``, ``prune``) are short ``BEGIN IMMEDIATE`` transactions of their own,
so they hold the write lock only while they decide.
"""

from __future__ import annotations

import time
from typing import Any

from routilux.store import CONTROL_ACTIONS, JobHeader, JobSummary, Owner
from routilux_sqlite_store.liveness import HOST, is_dead, process_started
from routilux_sqlite_store.schema import FINAL, UNFINISHED
from routilux_sqlite_store.tables import Tables

__all__ = ["JobTables"]

#: The columns that are JobSummary fields of the same name.
_SUMMARY_FIELDS = (
    "job_id",
    "flow_id",
    "status",
    "created_at",
    "updated_at",
    "finished_at",
    "activations",
    "errors",
    "flow_file",
)
_SUMMARY = f"SELECT {', '.join(_SUMMARY_FIELDS)}, owner_host, owner_pid, lease_until FROM jobs"
_RECORDS = (
    "SELECT kind, seq, payload FROM records WHERE job = (SELECT id FROM jobs WHERE job_id = ?) ORDER BY id"
    " LIMIT ? OFFSET ?"
)
# Conditional on the row still naming the owner the scan found dead.
_TAKE_OVER = (
    "UPDATE jobs SET owner_host = ?, owner_pid = ?, owner_started = ?, lease_until = ?, updated_at = ? "
    f"WHERE job_id = ? AND owner_host IS ? AND owner_pid IS ? AND {UNFINISHED}"
)


def _summary(row: tuple[Any, ...]) -> JobSummary:
    *fields, host, pid, lease = row
    owner = None if host is None else Owner(host=host, pid=pid, lease_until=lease)
    return JobSummary(**dict(zip(_SUMMARY_FIELDS, fields)), owner=owner)


class JobTables(Tables):
    """Reads of the journal and the cross-process operations on jobs (see ``DurableStore``)."""

    def header(self, job_id: str) -> JobHeader:
        """The job's header; ``KeyError`` naming the job if the store does not hold it."""
        rows = self._database.fetch("SELECT header FROM jobs WHERE job_id = ?", (job_id,))
        if not rows:
            raise self._missing("job", job_id)
        fields = self._codec.decode(rows[0][0], f"the header of job {job_id!r}", self._database.path)
        return JobHeader(**fields)

    def records(self, job_id: str, start: int = 0, limit: int | None = None) -> list[tuple[str, int, Any]]:
        """The job's committed journal, ``(kind, seq, payload)`` in commit order (``[]`` for no job),
        from its ``start``-th record on, at most ``limit`` of them (None: all); the records before
        ``start`` are not decoded."""
        count = -1 if limit is None else max(0, limit)  # SQLite: a negative LIMIT has no bound
        rows = self._database.fetch(_RECORDS, (job_id, count, max(0, start)))
        path, decode = self._database.path, self._codec.decode
        return [
            (kind, seq, decode(payload, f"a {kind!r} record of job {job_id!r}", path))
            for kind, seq, payload in rows
        ]

    def summary(self, job_id: str) -> JobSummary:
        """One job's row; ``KeyError`` naming the job if the store does not hold it."""
        rows = self._database.fetch(f"{_SUMMARY} WHERE job_id = ?", (job_id,))
        if not rows:
            raise self._missing("job", job_id)
        return _summary(rows[0])

    def summaries(
        self,
        *,
        status: str | None = None,
        flow_id: str | None = None,
        limit: int = 50,
        older_than: float | None = None,
    ) -> list[JobSummary]:
        """Up to ``limit`` jobs, newest first, filtered by ``status``, ``flow_id`` and
        ``created_at < older_than``."""
        clauses, parameters = [], []
        for clause, value in (
            ("status = ?", status),
            ("flow_id = ?", flow_id),
            ("created_at < ?", older_than),
        ):
            if value is not None:
                clauses.append(clause)
                parameters.append(value)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = f"{_SUMMARY}{where} ORDER BY created_at DESC LIMIT ?"
        return [_summary(row) for row in self._database.fetch(sql, (*parameters, limit))]

    def claim(self, owner: Owner, job_id: str | None = None, flow_id: str | None = None) -> list[str]:
        """Make ``owner`` the owner of the unfinished jobs whose owner is dead (all of them, or
        ``job_id``, or those of ``flow_id``); returns their ids.

        The scan and the takeover are one ``BEGIN IMMEDIATE`` transaction, and
        each takeover is conditional on the row still naming the dead owner:
        of two processes claiming at once, each job goes to one.
        """
        sql = (
            f"SELECT job_id, owner_host, owner_pid, owner_started, lease_until FROM jobs WHERE {UNFINISHED}"
        )
        parameters: tuple[Any, ...] = ()
        if job_id is not None:
            sql, parameters = f"{sql} AND job_id = ?", (job_id,)
        elif flow_id is not None:
            sql, parameters = f"{sql} AND flow_id = ?", (flow_id,)
        started = process_started(owner.pid) if owner.host == HOST else None
        claimed = []
        with self._database.transaction("cannot claim jobs") as connection:
            now = time.time()
            for found, host, pid, was_started, lease in connection.execute(sql, parameters).fetchall():
                if not is_dead(host, pid, was_started, lease, now):
                    continue
                taken = connection.execute(
                    _TAKE_OVER, (owner.host, owner.pid, started, owner.lease_until, now, found, host, pid)
                )
                if taken.rowcount == 1:
                    claimed.append(found)
        return claimed

    def request(self, job_id: str, action: str) -> None:
        """Ask the owner of ``job_id`` (any process) to ``"pause"``, ``"resume"`` or ``"cancel"`` it.

        Raises:
            KeyError: the store holds no such job.
            ValueError: ``action`` is not one of ``CONTROL_ACTIONS``.
        """
        if action not in CONTROL_ACTIONS:
            raise ValueError(
                f"unknown control action {action!r}; expected one of {', '.join(CONTROL_ACTIONS)}"
            )
        with self._database.transaction(f"cannot request {action} of job {job_id!r}") as connection:
            if connection.execute("SELECT 1 FROM jobs WHERE job_id = ?", (job_id,)).fetchone() is None:
                raise self._missing("job", job_id)
            connection.execute(
                "INSERT INTO requests (job_id, action, created_at) VALUES (?, ?, ?)",
                (job_id, action, time.time()),
            )

    def prune(self, older_than: float) -> int:
        """Delete the final jobs created before ``older_than`` with their journals and requests;
        returns how many."""
        with self._database.transaction("cannot prune jobs") as connection:
            doomed = connection.execute(
                f"SELECT id, job_id FROM jobs WHERE {FINAL} AND created_at < ?", (older_than,)
            ).fetchall()
            keys, job_ids = [(key,) for key, _ in doomed], [(job_id,) for _, job_id in doomed]
            connection.executemany("DELETE FROM records WHERE job = ?", keys)
            connection.executemany("DELETE FROM requests WHERE job_id = ?", job_ids)
            connection.executemany("DELETE FROM jobs WHERE id = ?", keys)
        if doomed:
            self._database.reclaim()
        return len(doomed)
