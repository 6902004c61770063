"""A durable store in memory, for testing the engine's journal and recovery without a database.

It keeps the journal as the engine appended it, encoded to JSON and back (so
a payload JSON cannot hold fails in ``append``, as with a real store), and
lets a test cut it to a prefix, which is what a crash leaves in a real store
that commits in order.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from routilux.store import CONTROL_ACTIONS, JobHeader, JobSummary, Owner

FINAL = ("completed", "failed", "cancelled")


class MemoryStore:
    url = "memory:"

    def __init__(self) -> None:
        self.headers: dict[str, JobHeader] = {}
        self.journals: dict[str, list[tuple[str, int, str]]] = {}
        self.rows: dict[str, dict[str, Any]] = {}
        self.dead_owners: set[tuple[str, int]] = set()
        self.watchers: list[tuple[Owner, Callable[[str, str], None]]] = []
        self.lock = threading.Lock()

    # -- snapshot part (unused by the engine) --------------------------------------------------
    def save_flow(self, flow: Any) -> None: raise NotImplementedError
    def load_flow(self, flow_id: str, flow: Any = None) -> Any: raise NotImplementedError
    def list_flows(self) -> list[str]: return []
    def delete_flow(self, flow_id: str) -> None: raise NotImplementedError
    def save_job(self, job: Any) -> None: raise NotImplementedError
    def load_job(self, job_id: str) -> Any: raise NotImplementedError
    def list_jobs(self) -> list[str]: return sorted(self.rows)
    def delete_job(self, job_id: str) -> None: raise NotImplementedError

    # -- journal part ------------------------------------------------------------------------------
    def begin_job(self, header: JobHeader, owner: Owner) -> None:
        json.dumps(header.flow_data, default=repr)
        with self.lock:
            self.headers[header.job_id] = header
            self.journals[header.job_id] = []
            self.rows[header.job_id] = {"status": "running", "owner": (owner.host, owner.pid)}

    def append(self, job_id: str, kind: str, seq: int, payload: Any) -> None:
        encoded = json.dumps(payload)  # raises TypeError for what JSON cannot hold
        with self.lock:
            self.journals[job_id].append((kind, seq, encoded))
            if kind == "status":
                self.rows[job_id]["status"] = payload

    def check_payload(self, payload: Any, what: str) -> None:
        try:
            json.dumps(payload)
        except TypeError as error:
            raise TypeError(f"{what}: {error}") from error

    def flush(self, timeout: float | None = None) -> bool:
        return True

    def header(self, job_id: str) -> JobHeader:
        return self.headers[job_id]

    def records(self, job_id: str, start: int = 0, limit: int | None = None) -> list[tuple[str, int, Any]]:
        with self.lock:
            journal = self.journals[job_id]
            chosen = journal[start:] if limit is None else journal[start:start + limit]
            return [(kind, seq, json.loads(text)) for kind, seq, text in chosen]

    def summary(self, job_id: str) -> JobSummary:
        row = self.rows[job_id]
        return JobSummary(
            job_id=job_id, flow_id=self.headers[job_id].flow_id, status=row["status"], created_at=0.0,
            updated_at=0.0, finished_at=None, activations=0, errors=0, owner=None,
        )

    def summaries(self, **filters: Any) -> list[JobSummary]:
        return [self.summary(job_id) for job_id in self.rows]

    def claim(self, owner: Owner, job_id: str | None = None, flow_id: str | None = None) -> list[str]:
        claimed = []
        with self.lock:
            for candidate, row in self.rows.items():
                if job_id is not None and candidate != job_id:
                    continue
                if flow_id is not None and self.headers[candidate].flow_id != flow_id:
                    continue
                if row["status"] in FINAL or row["owner"] not in self.dead_owners:
                    continue
                row["owner"] = (owner.host, owner.pid)
                claimed.append(candidate)
        return claimed

    def request(self, job_id: str, action: str) -> None:
        assert action in CONTROL_ACTIONS
        owner = self.rows[job_id]["owner"]
        for watcher, callback in list(self.watchers):
            if (watcher.host, watcher.pid) == owner:
                callback(job_id, action)

    def watch_requests(self, owner: Owner, callback: Callable[[str, str], None]) -> None:
        self.watchers.append((owner, callback))

    def prune(self, older_than: float) -> int:
        return 0

    def close(self) -> None:
        pass

    # -- what a crash does ----------------------------------------------------------------------------
    def crash_copy(self, job_id: str, keep: int) -> MemoryStore:
        """A store holding this one's job with only the first ``keep`` journal records, its owner dead."""
        copy = MemoryStore()
        copy.headers[job_id] = self.headers[job_id]
        copy.journals[job_id] = list(self.journals[job_id][:keep])
        status = "running"
        for kind, _seq, text in copy.journals[job_id]:
            if kind == "status":
                status = json.loads(text)
        copy.rows[job_id] = {"status": status, "owner": ("dead-host", 1)}
        copy.dead_owners.add(("dead-host", 1))
        return copy
