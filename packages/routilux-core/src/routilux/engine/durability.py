"""A durable flow's side of its store: starting a journaled job, owning it, hearing control requests.

Each store object used in this process gets one :class:`StoreBinding`: the
:class:`~routilux.store.Owner` this process writes its jobs under, the durable
jobs it runs, and the callback through which ``routilux pause|resume|cancel
JOB_ID --store ...`` run in another process reaches them (the store calls it
on its own thread; the flow's call is made on a thread of its own, so the store
is never held up by a pause that waits).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any, final

from routilux.engine.journal import JobJournal
from routilux.job_lifecycle import FINAL_STATUSES
from routilux.store import JobHeader, Owner

if TYPE_CHECKING:
    from routilux.job_state import JobState

__all__ = ["StoreBinding", "begin_durable_job", "flow_definition", "flow_hash"]

logger = logging.getLogger("routilux.engine")

#: Seconds an owner's lease on its jobs lasts before the store renews it.
LEASE_SECONDS = 30.0


def flow_hash(flow_data: dict[str, Any]) -> str:
    """A stable hash (sha256 hex) of a flow's definition as :func:`flow_definition` gives it.

    A routine's ``_id`` (a process-wide counter unless set) is replaced by its
    key in the flow wherever it appears, so the same definition built twice,
    in one process or two, hashes the same.
    """
    routines = flow_data.get("routines")
    ids = {}
    if isinstance(routines, dict):
        ids = {data["_id"]: key for key, data in routines.items() if isinstance(data, dict) and "_id" in data}
    text = json.dumps(_keyed(flow_data, ids), sort_keys=True, default=repr, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _keyed(value: Any, ids: dict[Any, str]) -> Any:
    if isinstance(value, dict):
        return {
            k: (ids.get(v, v) if k in ("_id", "object_id") and isinstance(v, str) else _keyed(v, ids))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_keyed(item, ids) for item in value]
    return value


def flow_definition(flow: Any) -> dict[str, Any]:
    """``flow.serialize()``; for a flow that cannot be serialized (a routine whose constructor
    needs arguments), its structure: routine types, slots with their strategy and data, wiring."""
    try:
        return flow.serialize()  # type: ignore[no-any-return]
    except TypeError:
        pass
    routines = {
        routine_id: {
            "_type": f"{type(routine).__module__}.{type(routine).__qualname__}",
            "_slots": {
                name: {"merge_strategy": repr(slot.merge_strategy), "_data": repr(slot._data)}
                for name, slot in routine._slots.items()
            },
            "_events": sorted(routine._events),
        }
        for routine_id, routine in flow.routines.items()
    }
    wiring = sorted(
        (
            flow.router.routine_id_of(c.source_event.routine), c.source_event.name,
            flow.router.routine_id_of(c.target_slot.routine), c.target_slot.name,
            sorted((c.param_mapping or {}).items()),
        )
        for c in flow.connections
    )
    return {"_type": "FlowStructure", "flow_id": flow.flow_id, "routines": routines, "connections": wiring}


@final
class StoreBinding:
    """This process's jobs in one store (see the module docstring)."""

    # Weak: a store no longer used anywhere takes its binding along (the binding holds it weakly).
    _bindings: weakref.WeakKeyDictionary[Any, StoreBinding] = weakref.WeakKeyDictionary()
    _bindings_lock = threading.Lock()

    def __init__(self, store: Any) -> None:
        self._store = weakref.ref(store)
        lease_until = time.time() + LEASE_SECONDS
        self.owner = Owner(host=socket.gethostname(), pid=os.getpid(), lease_until=lease_until)
        self._jobs: dict[str, tuple[Any, JobState]] = {}
        self._lock = threading.Lock()
        store.watch_requests(self.owner, self._on_request)

    @classmethod
    def of(cls, store: Any) -> StoreBinding:
        """The binding of ``store`` (created, and its request watch started, on first use)."""
        with cls._bindings_lock:
            binding = cls._bindings.get(store)
            if binding is None:
                binding = cls._bindings[store] = StoreBinding(store)
            return binding

    @property
    def store(self) -> Any:
        store = self._store()
        if store is None:  # only a binding looked up through its store is used
            raise RuntimeError("the store of this binding is gone")
        return store

    def attach(self, flow: Any, job: JobState, next_seq: int = 1) -> JobJournal:
        """Journal ``job`` (of ``flow``) into the store from now on; returns its journal."""
        journal = JobJournal(self.store, job.job_id, next_seq, self._ended)
        with self._lock:
            self._jobs[job.job_id] = (flow, job)
        job.journal = journal
        return journal

    def _ended(self, job_id: str, status: str) -> None:
        if status in FINAL_STATUSES:
            with self._lock:
                self._jobs.pop(job_id, None)

    def _on_request(self, job_id: str, action: str) -> None:
        with self._lock:
            entry = self._jobs.get(job_id)
        if entry is None:
            logger.warning("control request %r for job %r, which this process does not run", action, job_id)
            return
        threading.Thread(
            target=self._apply, args=(entry, action), name=f"routilux-control-{action}", daemon=True
        ).start()

    @staticmethod
    def _apply(entry: tuple[Any, JobState], action: str) -> None:
        flow, job = entry
        try:
            if action == "pause":
                flow.pause(job, reason="requested through the store")
            elif action == "resume":
                flow.resume(job)
            elif action == "cancel":
                flow.cancel(job, reason="requested through the store")
            else:
                logger.error("unknown control request %r for %r", action, job)
        except ValueError as error:  # the job's status allows no such change now
            logger.warning("control request %r for %r refused: %s", action, job, error)


def begin_durable_job(
    flow: Any, job: JobState, entry_id: str, params: dict[str, Any], store: Any,
    flow_file: str | None = None, flow_file_hash: str | None = None,
) -> None:
    """Write ``job``'s header (flow snapshot and hash, entry and params) and journal it from now on.

    Raises:
        StoreError: the store refuses the job (it is closed, or its writer failed).
        TypeError: the flow's definition or ``params`` cannot be encoded by the store.
    """
    binding = StoreBinding.of(store)
    flow_data = flow_definition(flow)
    header = JobHeader(
        job_id=job.job_id, flow_id=flow.flow_id, flow_data=flow_data, flow_hash=flow_hash(flow_data),
        entry_id=entry_id, entry_params=params, created_at=job.created_at.timestamp(),
        history_limit=flow.history_limit, flow_file=flow_file, flow_file_hash=flow_file_hash,
    )
    store.begin_job(header, binding.owner)
    binding.attach(flow, job)
