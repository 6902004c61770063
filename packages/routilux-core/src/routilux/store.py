"""Stores: where flows, job snapshots and the journals of durable jobs are kept.

A store is a plugin (``routilux_register_stores`` returns a
:class:`~routilux.plugins.StoreSpec`); :func:`open_store` picks one by the URL's
scheme. Two protocols describe what a store offers:

* :class:`SnapshotStore`: flows and job snapshots, saved and loaded whole
  (``routilux-json-store``'s file ``Store`` is one, scheme ``file``);
* :class:`DurableStore`: a snapshot store that also keeps the *journal* of
  each job of a durable flow (``Flow(store=...)``) as it runs, lists jobs,
  passes control requests between processes and hands the jobs of dead
  processes to a recoverer (``routilux-sqlite-store``, scheme ``sqlite``).

The journal is an ordered list of records per job, written by the engine.
Each record is ``(kind, seq, payload)``: ``kind`` a short string, ``seq`` the
activation it belongs to (0 for the job itself), ``payload`` plain data (what
``serialize()`` methods produce: dicts, lists, str, int, float, bool, None).
A store must keep records in the order :meth:`DurableStore.append` was
called and commit them as a prefix of that order: after a crash the journal
holds the records of some first N calls, never a later record without an
earlier one. Engines call ``append`` from any thread; it must only encode
the payload (so that an unencodable payload raises in the caller) and queue
it, never wait for the disk.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import attrs

from routilux.plugins import get_registry

__all__ = [
    "CONTROL_ACTIONS",
    "DurableStore",
    "JournalEncodeError",
    "StoreError",
    "JobHeader",
    "JobSummary",
    "Owner",
    "SnapshotStore",
    "open_store",
    "store_scheme",
]

#: What :meth:`DurableStore.request` may ask of a job's owner.
CONTROL_ACTIONS = ("pause", "resume", "cancel")


class StoreError(RuntimeError):
    """A store could not do what it was asked (its message names the store and why).

    Once a durable store's writer failed to commit (disk full, database
    locked past its ``busy_timeout``, ...), ``append`` and ``flush`` raise a
    ``StoreError`` chained to that failure, so the jobs writing to it fail with
    it instead of running on unjournaled.
    """


class JournalEncodeError(TypeError):
    """A durable activation's changes hold a value the store's serializer cannot encode.

    The activation fails with it (its message names the routine, the key path
    and the type), and the job goes on as for any handler error.
    """


@attrs.frozen(kw_only=True)
class Owner:
    """The process that runs a job: ``host`` and ``pid``, and until when its lease holds (epoch seconds).

    A job whose owner is on this host and whose pid is gone, or whose lease
    has expired (any host), is dead and may be recovered.
    """

    host: str
    pid: int
    lease_until: float

    def is_alive(self) -> bool:
        """Whether this owner still runs its job, by the rule above.

        The store's own check (at ``claim``) is the one that counts; this one
        lets a caller pick what to do: send a request, or recover the job.
        """
        if self.lease_until < time.time():
            return False
        if self.host != socket.gethostname() or sys.platform == "win32":
            return True  # only the lease tells; os.kill(pid, 0) is no probe on Windows
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # another user's process: it exists
            return True
        return True


@attrs.frozen(kw_only=True)
class JobHeader:
    """What is known of a durable job when it starts (written once, by ``begin_job``).

    Attributes:
        job_id, flow_id: the job and its flow.
        flow_data: ``flow.serialize()`` at the start: the flow definition snapshot.
        flow_hash: a hash of ``flow_data`` (hex), to refuse recovering on a changed flow.
        entry_id, entry_params: what ``execute`` was called with.
        created_at: epoch seconds.
        history_limit: the job's emit-history bound (None: unbounded).
        flow_file, flow_file_hash: the flow file a CLI run was built from, and its content hash.
    """

    job_id: str
    flow_id: str
    flow_data: dict[str, Any]
    flow_hash: str
    entry_id: str
    entry_params: dict[str, Any]
    created_at: float
    history_limit: int | None
    flow_file: str | None = None
    flow_file_hash: str | None = None


@attrs.frozen(kw_only=True)
class JobSummary:
    """One row of a job listing (``routilux jobs``).

    ``activations`` and ``errors`` count the ``"done"`` and ``"failed"``
    journal records; times are epoch seconds, ``finished_at`` None while the
    job is not final.
    """

    job_id: str
    flow_id: str
    status: str
    created_at: float
    updated_at: float
    finished_at: float | None
    activations: int
    errors: int
    owner: Owner | None
    flow_file: str | None = None


@runtime_checkable
class SnapshotStore(Protocol):
    """Flows and job snapshots, saved and loaded whole.

    ``flow`` arguments are :class:`~routilux.flow.Flow` objects and ``job``
    arguments :class:`~routilux.job_state.JobState` objects (typed ``Any``
    here: this module sits below both).
    """

    def save_flow(self, flow: Any) -> Any: ...

    def load_flow(self, flow_id: str, flow: Any = None) -> Any: ...

    def list_flows(self) -> list[str]: ...

    def delete_flow(self, flow_id: str) -> None: ...

    def save_job(self, job: Any) -> Any: ...

    def load_job(self, job_id: str) -> Any: ...

    def list_jobs(self) -> list[str]: ...

    def delete_job(self, job_id: str) -> None: ...


@runtime_checkable
class DurableStore(SnapshotStore, Protocol):
    """A snapshot store that also journals durable jobs (see the module docstring).

    Several processes may use one store at once; every method may be called
    from any thread.
    """

    #: The URL the store was opened with (``sqlite:///abs/path.db``).
    url: str

    def begin_job(self, header: JobHeader, owner: Owner) -> None:
        """Create the job's row (status ``"running"``) owned by ``owner``; queued like ``append``."""

    def append(self, job_id: str, kind: str, seq: int, payload: Any) -> None:
        """Queue one journal record; encodes ``payload`` here and never waits for the disk.

        ``kind`` ``"done"`` counts one activation, ``"failed"`` one activation
        and one error, ``"status"`` (payload: the status string) sets the
        job's status (and ``finished_at`` for a final one).

        Raises:
            TypeError: ``payload`` cannot be encoded (the message names the key path and type).
            StoreError: an earlier commit failed, or the store is closed.
        """

    def check_payload(self, payload: Any, what: str) -> None:
        """Raise what :meth:`append` would raise for ``payload`` (``TypeError``, its message
        starting with ``what``), and write nothing: how a refused record is explained."""

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued so far is committed; False at ``timeout``.

        Raises:
            StoreError: committing failed (chained to the error the writer met).
        """

    def header(self, job_id: str) -> JobHeader:
        """The job's header. Raises ``KeyError`` naming the job if the store does not hold it."""

    def records(self, job_id: str, start: int = 0, limit: int | None = None) -> list[tuple[str, int, Any]]:
        """The job's committed journal, ``(kind, seq, payload)`` in commit order, payloads decoded:
        from its ``start``-th record on, at most ``limit`` of them (None: all). A reader that has
        the first ``start`` skips decoding them; one that reads in chunks bounds each read."""

    def summary(self, job_id: str) -> JobSummary:
        """One job's row. Raises ``KeyError`` naming the job if the store does not hold it."""

    def summaries(
        self, *, status: str | None = None, flow_id: str | None = None, limit: int = 50,
        older_than: float | None = None,
    ) -> list[JobSummary]:
        """Jobs, newest first, filtered by ``status``/``flow_id``/``created_at < older_than``."""

    def claim(self, owner: Owner, job_id: str | None = None, flow_id: str | None = None) -> list[str]:
        """Take over the unfinished jobs whose owner is dead (all, or ``job_id``, or those of
        ``flow_id``); returns the ids now owned by ``owner``. Atomic: two callers never both
        get a job."""

    def request(self, job_id: str, action: str) -> None:
        """Ask the owner of ``job_id`` (any process) to ``"pause"``, ``"resume"`` or ``"cancel"`` it.

        Raises:
            KeyError: the store holds no such job.
            ValueError: ``action`` is not one of :data:`CONTROL_ACTIONS`.
        """

    def watch_requests(self, owner: Owner, callback: Callable[[str, str], None]) -> None:
        """Call ``callback(job_id, action)`` (on the store's own thread, within 100 ms) for each
        request aimed at a job ``owner`` owns; each request is delivered once."""

    def prune(self, older_than: float) -> int:
        """Delete the final jobs created before ``older_than`` (epoch seconds) with their journals;
        returns how many."""

    def close(self) -> None:
        """Commit what is queued, stop the writer, close the database."""


def store_scheme(url_or_path: str | os.PathLike[str]) -> tuple[str, str]:
    """``(scheme, location)`` of a store URL or path.

    ``sqlite:///abs/path.db`` and ``sqlite:rel.db`` are ``sqlite`` URLs; a
    path ending ``.db`` or ``.sqlite`` is ``sqlite`` too; any other
    ``scheme:rest`` names its scheme (a single letter is a Windows drive, not a
    scheme); any other path is a ``file`` store directory.

    Raises:
        ValueError: an empty URL.
    """
    text = os.fspath(url_or_path)
    if not isinstance(text, str) or not text:
        raise ValueError(f"a store URL or path must be a non-empty string, got {url_or_path!r}")
    scheme, colon, rest = text.partition(":")
    if colon and len(scheme) > 1 and scheme.replace("+", "").replace("-", "").isalnum():
        location = rest[2:] if rest.startswith("//") else rest
        return scheme.lower(), location
    if text.endswith((".db", ".sqlite")):
        return "sqlite", text
    return "file", text


def open_store(url_or_path: str | os.PathLike[str], **options: Any) -> Any:
    """Open the store at ``url_or_path`` with the plugin registered for its scheme.

    ``options`` go to the plugin's ``open`` (for example
    ``durability="full"`` for SQLite).

    Raises:
        ValueError: no installed plugin handles the scheme (the message lists
            those that do, and which package to install for ``sqlite``/``file``).
    """
    scheme, location = store_scheme(url_or_path)
    spec = get_registry().store_for_scheme(scheme)
    return spec.open(location, **options)

