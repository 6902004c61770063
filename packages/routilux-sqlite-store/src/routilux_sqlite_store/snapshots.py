"""The snapshot part of the store: flows and job states saved and loaded whole, one row each."""

from __future__ import annotations

import time
from typing import Any

from routilux import Flow, JobState
from routilux_sqlite_store.tables import Tables

__all__ = ["SnapshotTables"]

#: The table and key column of each kind of snapshot (fixed names: never from the caller).
_TABLES = {"flow": ("flows", "flow_id"), "job": ("snapshots", "job_id")}


def _check_id(object_id: Any, what: str) -> str:
    if not isinstance(object_id, str) or not object_id:
        raise ValueError(f"a {what} id must be a non-empty string, got {type(object_id).__name__}")
    return object_id


class SnapshotTables(Tables):
    """``save_*``/``load_*``/``list_*``/``delete_*`` of flows and jobs (the ``SnapshotStore`` protocol).

    Each save replaces the object's row in its own transaction; ``load_*`` and
    ``delete_*`` of an id that is not stored raise ``KeyError`` naming it and
    the file; data the serializer cannot encode raises ``TypeError`` naming
    where it is, and nothing is written.
    """

    def save_flow(self, flow: Flow) -> str:
        """Store ``flow``'s structure under its ``flow_id``; returns the id."""
        return self._save("flow", flow.flow_id, flow.serialize())

    def load_flow(self, flow_id: str, flow: Flow | None = None) -> Flow:
        """A Flow rebuilt from the stored structure (into ``flow`` if given, else a new one).

        The modules defining its routine classes must be imported first (as for
        ``Flow.deserialize``).
        """
        return (flow if flow is not None else Flow()).deserialize(self._load("flow", flow_id))

    def list_flows(self) -> list[str]:
        """The stored flow ids, sorted."""
        return self._list("flow")

    def delete_flow(self, flow_id: str) -> None:
        self._delete("flow", flow_id)

    def save_job(self, job: JobState) -> str:
        """Store ``job`` (with the pending activations of a paused job) under its ``job_id``."""
        return self._save("job", job.job_id, job.serialize())

    def load_job(self, job_id: str) -> JobState:
        """The stored job; a paused one is resumed with ``flow.resume(job)``."""
        return JobState().deserialize(self._load("job", job_id))

    def list_jobs(self) -> list[str]:
        """The ids of the stored job snapshots, sorted."""
        return self._list("job")

    def delete_job(self, job_id: str) -> None:
        self._delete("job", job_id)

    def _save(self, what: str, object_id: str, data: dict[str, Any]) -> str:
        table, key = _TABLES[what]
        blob = self._codec.encode(data, f"cannot save {what} {_check_id(object_id, what)!r}")
        with self._database.transaction(f"cannot save {what} {object_id!r}") as connection:
            connection.execute(
                f"INSERT OR REPLACE INTO {table} ({key}, data, saved_at) VALUES (?, ?, ?)",
                (object_id, blob, time.time()),
            )
        return object_id

    def _load(self, what: str, object_id: str) -> Any:
        table, key = _TABLES[what]
        rows = self._database.fetch(
            f"SELECT data FROM {table} WHERE {key} = ?", (_check_id(object_id, what),)
        )
        if not rows:
            raise self._missing(what, object_id)
        return self._codec.decode(rows[0][0], f"{what} {object_id!r}", self._database.path)

    def _list(self, what: str) -> list[str]:
        table, key = _TABLES[what]
        return [row[0] for row in self._database.fetch(f"SELECT {key} FROM {table} ORDER BY {key}")]

    def _delete(self, what: str, object_id: str) -> None:
        table, key = _TABLES[what]
        with self._database.transaction(f"cannot delete {what} {object_id!r}") as connection:
            deleted = connection.execute(
                f"DELETE FROM {table} WHERE {key} = ?", (_check_id(object_id, what),)
            )
            if deleted.rowcount == 0:
                raise self._missing(what, object_id)
