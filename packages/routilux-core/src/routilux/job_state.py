"""JobState: everything one job (one ``Flow.execute``) records about itself."""

from __future__ import annotations

import collections
import os
import threading
import warnings
from collections.abc import Callable
from datetime import datetime
from typing import Any

from routilux.class_registry import register_serializable
from routilux.execution_record import EmitRecord, ExecutionRecord, RecordLog, merged_history
from routilux.job_effects import EffectLog
from routilux.job_state_codec import deserialize_job, load_job, save_job, serialize_job
from routilux.job_stats import RoutineStats, Tallies
from routilux.job_waiting import EngineRun, wait_for_completion, wait_until_condition

__all__ = ["DEFAULT_HISTORY_LIMIT", "ExecutionRecord", "JobState", "register_serializable"]

#: Emit records kept per job by default; older ones are dropped first.
DEFAULT_HISTORY_LIMIT = 1000


# The hex digit of a version 4 UUID's variant field (``10xx``) for each random hex digit.
_VARIANT = dict(zip("0123456789abcdef", "89ab" * 4))


def new_job_id() -> str:
    """A new job id: a random (version 4) UUID string, as ``str(uuid.uuid4())`` writes one.

    Formatted from ``os.urandom`` directly: the same 122 random bits in a third
    of the time of building a ``uuid.UUID`` first (it runs once per job).
    """
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


class JobState:
    """The state of one job: status, per-routine states, history, pause points, outputs.

    ``status`` follows the state machine of :mod:`routilux.job_lifecycle`
    (the README's "Job lifecycle" table): ``"pending"`` until the job runs,
    ``"running"`` while it does, and the engine sets ``"completed"``,
    ``"failed"`` or ``"cancelled"`` the moment its last activation ends. Emits
    are recorded compactly (at most ``history_limit`` per job, 0 turns them
    off, None keeps all) and turned into :class:`ExecutionRecord` objects when
    read. :meth:`routine_stats` gives the engine's per-routine figures.

    Snapshots while the job runs (``serialize``, ``save``): every container of
    the job (``routine_states``, the history, ``pause_points``,
    ``pending_tasks``, ``deferred_events``, ``shared_data``, ``shared_log``,
    ``output_log``) is changed only while holding :attr:`lock`, by the methods
    of this class and by the engine, and a snapshot copies them all while
    holding it, so it is one consistent picture and can never meet a container
    in the middle of a change (an uncontended ``RLock`` acquire per change).
    The engine's per-emit history record is appended without the lock, to a
    ``collections.deque`` whose ``append`` and ``copy`` are one C call each.
    Code that changes the containers directly (``job.shared_data[k] = v``)
    from several threads should hold ``job.lock``; values are copied as they
    are at the snapshot, not locked.

    The history is kept in two parts, merged when read: ``records``
    (:class:`ExecutionRecord` objects of :meth:`record_execution` and of a
    load, kept by ``record_log``) and ``emit_log``, the engine's compact
    ``(time.time(), routine_id, event_name, data)`` tuple per emit (None when
    the history limit is 0).
    ``engine_run`` is the engine's bookkeeping of the job while an engine of
    this process accounts for it (None otherwise: built by hand or loaded);
    it is not part of the record and is never serialized. ``journal`` is set
    while the job is durable (its flow has a store): every change made
    through the methods of this class is also handed to it, so that the
    store's journal holds it (changes made to the containers directly are
    not journaled; the kinds are listed in :mod:`routilux.job_effects`).
    """

    def __init__(self, flow_id: str = "", *, history_limit: int | None = DEFAULT_HISTORY_LIMIT) -> None:
        now = datetime.now()
        #: Held while the job's containers change and while a snapshot copies them.
        self.lock = threading.RLock()
        #: Notified (under ``lock``) on every change of the job's status and when its pause settles.
        self.changed = threading.Condition(self.lock)
        self.engine_run: EngineRun | None = None
        self.journal: EffectLog | None = None
        #: The engine's per-routine counters of this job (read them with routine_stats()).
        self.tallies = Tallies()
        self.flow_id = flow_id
        self.job_id = new_job_id()
        self.status = "pending"
        self.current_routine_id: str | None = None
        self.routine_states: dict[str, dict[str, Any]] = {}
        self.created_at = now
        self._updated_at = now
        self.pause_points: list[dict[str, Any]] = []
        self.pending_tasks: list[dict[str, Any]] = []
        self.deferred_events: list[dict[str, Any]] = []
        self.shared_data: dict[str, Any] = {}
        self.shared_log: list[dict[str, Any]] = []
        self.output_log: list[dict[str, Any]] = []
        self.output_handler: Any = None
        self.record_log = RecordLog(self.lock)
        self.emit_log: collections.deque[EmitRecord] | None = None
        self.set_history_limit(history_limit)

    def notify_changed(self) -> None:
        """Wake everyone waiting on :attr:`changed` (the caller holds ``lock``)."""
        self.changed.notify_all()

    # -- figures -------------------------------------------------------------------------

    def routine_stats(self) -> dict[str, RoutineStats]:
        """The engine's figures per routine id of the flow: activations, outcomes, errors, time.

        A consistent copy, safe to call from any thread while the job runs.
        A job loaded from storage starts from the figures saved with it.
        """
        return self.tallies.snapshot()

    # -- history ------------------------------------------------------------------------

    def set_history_limit(self, limit: int | None) -> None:
        """Keep at most ``limit`` emit records (0: none, None: unbounded).

        The newest existing records are kept up to the new limit; 0 drops them all.
        """
        if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 0):
            raise ValueError(f"history_limit must be a non-negative int or None, got {limit!r}")
        with self.lock:
            old = self.emit_log
            self.emit_log = None if limit == 0 else collections.deque(old or (), maxlen=limit)

    def record_execution(
        self, routine_id: str, event_name: str, data: dict[str, Any] | None = None
    ) -> None:
        """Append a record timestamped now."""
        record = ExecutionRecord(routine_id, event_name, data)
        with self.lock:
            self.record_log.append(record)
            self._updated_at = record.timestamp
        if self.journal is not None:
            self.journal.effect("record", [routine_id, event_name, data, record.timestamp.timestamp()])

    def get_execution_history(self, routine_id: str | None = None) -> list[ExecutionRecord]:
        """The history sorted by timestamp, optionally only that of ``routine_id``."""
        with self.lock:
            records = list(self.records)
            emits = self.emit_log.copy() if self.emit_log else ()
        return merged_history(records, emits, routine_id)

    @property
    def execution_history(self) -> list[ExecutionRecord]:
        """All records, oldest first (a new list on each read)."""
        return self.get_execution_history()

    @execution_history.setter
    def execution_history(self, records: list[ExecutionRecord]) -> None:
        with self.lock:
            self.records = list(records)
            if self.emit_log is not None:
                self.emit_log.clear()

    @property
    def records(self) -> list[ExecutionRecord]:
        """The :class:`ExecutionRecord` part of the history: the list itself, appended to under ``lock``."""
        return self.record_log.records()

    @records.setter
    def records(self, records: list[ExecutionRecord]) -> None:
        self.record_log.replace(records)

    @property
    def updated_at(self) -> datetime:
        emits = self.emit_log
        try:
            last = datetime.fromtimestamp(emits[-1][0]) if emits else None
        except IndexError:  # cleared meanwhile
            last = None
        return last if last is not None and last > self._updated_at else self._updated_at

    @updated_at.setter
    def updated_at(self, value: datetime) -> None:
        self._updated_at = value

    def touch(self) -> None:
        """Set ``updated_at`` to now."""
        self._updated_at = datetime.now()

    # -- routine states -----------------------------------------------------------------

    def update_routine_state(self, routine_id: str, state: dict[str, Any]) -> None:
        """Replace the state of ``routine_id`` with a copy of ``state``."""
        copied = dict(state)
        with self.lock:
            self.routine_states[routine_id] = copied
            self.touch()
        if self.journal is not None:
            self.journal.effect("state", [routine_id, copied])

    def get_routine_state(self, routine_id: str) -> dict[str, Any] | None:
        return self.routine_states.get(routine_id)

    def has_failed_routine(self) -> bool:
        """Whether a routine state says ``failed`` or ``error`` (a completing job then ends failed)."""
        with self.lock:
            states = list(self.routine_states.values())
        return any(isinstance(state, dict) and state.get("status") in ("failed", "error") for state in states)

    # -- status primitives (the engine decides when, through job_lifecycle) ---------------

    def mark_paused(self, reason: str = "", checkpoint: dict[str, Any] | None = None) -> None:
        """Record a pause point and set ``"paused"`` (no check: the lifecycle decides first)."""
        with self.lock:
            self.status = "paused"
            self.pause_points.append(
                {
                    "timestamp": datetime.now().isoformat(),
                    "reason": reason,
                    "current_routine_id": self.current_routine_id,
                    "checkpoint": checkpoint or {},
                }
            )
            self.touch()

    def mark_running(self) -> None:
        """A paused job is ``"running"`` again; any other status is left as it is."""
        with self.lock:
            if self.status == "paused":
                self.status = "running"
                self.touch()

    def mark_failed(self) -> None:
        """Set ``"failed"`` (no check: the lifecycle decides first)."""
        with self.lock:
            self.status = "failed"
            self.touch()

    def mark_cancelled(self, reason: str = "") -> None:
        """Set ``"cancelled"``, keeping ``reason`` in the ``_cancellation`` routine state."""
        with self.lock:
            self.status = "cancelled"
            if reason:
                self.routine_states["_cancellation"] = {"reason": reason}
            self.touch()
        if reason and self.journal is not None:
            self.journal.effect("state", ["_cancellation", {"reason": reason}])

    # -- deferred events, shared data, outputs ---------------------------------------------

    def add_deferred_event(self, routine_id: str, event_name: str, data: dict[str, Any]) -> None:
        """Keep an emit for when the job is resumed."""
        entry = {"routine_id": routine_id, "event_name": event_name, "data": data,
                 "timestamp": datetime.now().isoformat()}
        with self.lock:
            self.deferred_events.append(entry)
            self.touch()
        if self.journal is not None:
            self.journal.effect("deferred", entry)

    def update_shared_data(self, key: str, value: Any) -> None:
        with self.lock:
            self.shared_data[key] = value
            self.touch()
        if self.journal is not None:
            self.journal.effect("shared", [key, value])

    def get_shared_data(self, key: str, default: Any = None) -> Any:
        return self.shared_data.get(key, default)

    def append_to_shared_log(self, entry: dict[str, Any]) -> None:
        if not isinstance(entry, dict):
            raise ValueError(f"Entry must be a dictionary, got {type(entry).__name__}: {entry!r}")
        if "timestamp" not in entry:
            entry = {**entry, "timestamp": datetime.now().isoformat()}
        with self.lock:
            self.shared_log.append(entry)
            self.touch()
        if self.journal is not None:
            self.journal.effect("shared_log", entry)

    def get_shared_log(
        self, filter_func: Callable[[dict[str, Any]], bool] | None = None
    ) -> list[dict[str, Any]]:
        with self.lock:
            entries = list(self.shared_log)
        if filter_func is None:
            return entries
        return [entry for entry in entries if filter_func(entry)]

    def set_output_handler(self, handler: Any) -> None:
        self.output_handler = handler

    def send_output(self, routine_id: str, output_type: str, data: dict[str, Any]) -> None:
        """Pass an output to the job's output handler (if any) and log it."""
        now = datetime.now()
        handler = self.output_handler
        if handler is not None:
            try:
                handler.handle(
                    job_id=self.job_id, routine_id=routine_id, output_type=output_type,
                    data=data, timestamp=now,
                )
            except Exception as error:  # a broken sink must not break the job
                warnings.warn(f"Output handler failed: {error}", stacklevel=2)
        entry = {"routine_id": routine_id, "output_type": output_type, "data": data,
                 "timestamp": now.isoformat()}
        with self.lock:
            self.output_log.append(entry)
            self.touch()
        if self.journal is not None:
            self.journal.effect("output", entry)

    # -- waiting ----------------------------------------------------------------------------

    @staticmethod
    def wait_for_completion(
        flow: Any,
        job_state: JobState,
        timeout: float | None = None,
        stability_checks: int = 5,
        check_interval: float = 0.1,
        stability_delay: float = 0.05,
        progress_callback: Callable[[int, int, str], None] | None = None,
    ) -> bool:
        """Wait until ``job_state`` is completed, failed, cancelled or paused.

        Returns True at once for a job in one of those states (a paused job
        once nothing of it runs) and False when ``timeout`` passes first (the
        status is left as it is). A ``"running"`` job of which nothing is in
        flight in this process (a snapshot: loaded from storage, or built by
        hand) cannot complete here: False at once. Only this job is waited
        for, never other jobs of the flow. ``stability_checks``,
        ``check_interval`` and ``stability_delay`` are accepted for 0.10
        compatibility; completion is signalled by the engine, not polled.
        """
        return wait_for_completion(job_state, timeout, progress_callback)

    @staticmethod
    def wait_until_condition(
        flow: Any,
        job_state: JobState,
        condition: Callable[[Any, JobState], bool],
        timeout: float | None = None,
        check_interval: float = 0.1,
        progress_callback: Callable[[int, int, str], None] | None = None,
    ) -> bool:
        """Poll ``condition(flow, job_state)`` until it holds, the job ends, or ``timeout``."""
        return wait_until_condition(
            flow, job_state, condition, timeout, check_interval, progress_callback
        )

    # -- serialization and files ----------------------------------------------------------------

    def serialize(self) -> dict[str, Any]:
        """Every field but the output handler, timestamps as ISO strings, plus the routine figures.

        Safe to call while the job runs: the containers are copied under
        :attr:`lock` (see the class docstring), so the result is one
        consistent picture, ``json.dumps``-able whenever the data the routines
        put in it is. The pending activations of a paused job
        (``pending_tasks``) are included, so the job can be resumed by
        another process; a job saved while running cannot be (its in-flight
        work is not recorded).
        """
        return serialize_job(self)

    def deserialize(self, data: dict[str, Any], registry: Any = None) -> JobState:
        """Restore every field from :meth:`serialize` data (``data`` is not changed).

        Raises ``ValueError``/``TypeError`` naming the field for malformed data.
        """
        deserialize_job(self, data)
        return self

    def save(self, filepath: str | os.PathLike[str], serializer: Any = None) -> None:
        """Write the job to ``filepath`` atomically (parent directories are created).

        ``serializer`` names a registered serializer plugin (or is a
        ``SerializerSpec``); by default the file suffix chooses it, falling
        back to ``"json"``. Without any serializer plugin installed this
        raises an error saying to install ``routilux-json-store``. Safe while
        the job runs (see :meth:`serialize`).
        """
        # A subclass with its own serialize() is written by it, not by a serializer's job codec.
        save_job(self, filepath, serializer, fast=type(self).serialize is JobState.serialize)

    @classmethod
    def load(cls, filepath: str | os.PathLike[str], serializer: Any = None) -> JobState:
        """Read a job written by :meth:`save`.

        ``FileNotFoundError`` for a missing file; ``ValueError`` for a file that
        cannot be decoded or does not hold a ``"JobState"``.
        """
        job = cls()
        load_job(job, filepath, serializer, fast=cls.deserialize is JobState.deserialize)
        return job

    def __repr__(self) -> str:
        return f"JobState[{self.job_id}:{self.status}]"
