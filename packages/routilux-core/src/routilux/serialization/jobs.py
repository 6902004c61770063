"""Job codecs: a serializer's optional fast path for writing and reading a whole ``JobState``.

``JobState.save`` and ``JobState.load`` work with any serializer through its
``dumps``/``loads`` of the plain data ``JobState.serialize()`` gives. That data
holds one dict per execution record, and building those dicts (and their
timestamps' ISO text), walking them for values that need tags, and reading
them back costs far more than a fast encoder does. A serializer may therefore
also register a :class:`JobCodec` for its :class:`SerializerSpec` with
:func:`register_job_codec`; ``save``/``load`` then hand it the job's parts
directly:

* :meth:`JobCodec.dump_job` gets a :class:`JobSnapshot` (the job's fields
  copied under its lock, and its history as the records themselves, whose
  data is not copied yet) and returns the bytes ``spec.dumps(snapshot.to_data())``
  would return (the same file, so ``spec.loads`` reads it as usual), or None
  to leave this snapshot to the generic path;
* :meth:`JobCodec.load_job` gets the file's bytes and returns the same data
  as ``spec.loads``, split as :class:`JobParts` (the history as rows ready for
  ``ExecutionRecord``, or as the decoded records themselves), or None to
  leave these bytes to the generic path, which then reports any error in them.

Serializers without a job codec (every third-party one so far) are used as
before. A leaf: it imports nothing of the object model.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from routilux.plugins.specs import SerializerSpec
from routilux.serialization.values import copy_data

__all__ = [
    "HistoryRecord",
    "HistoryRow",
    "JobCodec",
    "JobParts",
    "JobSnapshot",
    "job_codec_for",
    "paused_gc",
    "register_job_codec",
]

#: One execution record read from a file: ``(routine_id, event_name, data, timestamp)``, the
#: order of ``ExecutionRecord``'s parameters.
HistoryRow = tuple[str, str, Any, Any]


class HistoryRecord(Protocol):
    """One execution record of a snapshot (an ``ExecutionRecord``), read-only."""

    @property
    def routine_id(self) -> Any: ...

    @property
    def event_name(self) -> Any: ...

    @property
    def data(self) -> Any: ...

    @property
    def timestamp(self) -> datetime: ...

_SCALARS = frozenset({str, int, float, bool, type(None)})


class JobSnapshot:
    """One consistent picture of a job, as taken by ``JobState.save`` for a :class:`JobCodec`.

    Attributes:
        fields: every field of ``JobState.serialize()`` but ``execution_history``,
            as plain data already copied (a codec may read it, never change it).
        history: the execution records, oldest first (the job's own
            ``ExecutionRecord`` objects, and new ones for the engine's emit
            records): a codec must not change them or their ``data``, which
            is not copied yet, and writes that as :meth:`record_data` would.
        where: the job, for error messages (``"JobState[<id>:<status>]"``).
    """

    __slots__ = ("fields", "history", "where")

    def __init__(self, fields: dict[str, Any], history: Sequence[HistoryRecord], where: str) -> None:
        self.fields = fields
        self.history = history
        self.where = where

    def record_data(self, data: Any) -> Any:
        """A record's ``data`` as ``serialize()`` writes it: a private deep copy, ``{}`` for None.

        Raises:
            ValueError: the data is nested deeper than ``MAX_DEPTH`` levels.
        """
        if type(data) is dict:
            data = data.copy()  # one C call: a writer elsewhere cannot interleave
            if _SCALARS.issuperset(map(type, data.values())):
                return data
        return copy_data(data or {}, f"{self.where} execution_history")

    def history_data(self) -> list[dict[str, Any]]:
        """The ``execution_history`` of ``serialize()``: one record dict per row."""
        record_data = self.record_data
        return [
            {
                "_type": "ExecutionRecord",
                "routine_id": record.routine_id,
                "event_name": record.event_name,
                "data": record_data(record.data),
                "timestamp": record.timestamp.isoformat(),
            }
            for record in self.history
        ]

    def to_data(self) -> dict[str, Any]:
        """What ``JobState.serialize()`` returns for this snapshot (a new dict each call)."""
        data: dict[str, Any] = {}
        for name, value in self.fields.items():
            data[name] = value
            if name == "routine_states":  # serialize()'s key order: the history comes next
                data["execution_history"] = self.history_data()
        if "execution_history" not in data:
            data["execution_history"] = self.history_data()
        return data


class JobParts(NamedTuple):
    """A decoded job file, as :meth:`JobCodec.load_job` returns it.

    Attributes:
        fields: every field of the file but ``execution_history`` (``"_type"``
            included), as ``spec.loads`` would decode it; checked by the caller
            as ``JobState.deserialize`` checks them.
        history: the records, in the file's order, as :data:`HistoryRow`
            tuples: ``routine_id`` and ``event_name`` strings, ``data`` a dict
            (new, shared with nothing) or None, ``timestamp`` a ``datetime``
            or None. The codec has checked these types; the caller checks
            the data's depth. An iterable read once, at load; but when
            ``flat`` and a ``Sequence``, the job keeps it and reads it when
            its history is first read (never, for a job loaded to do
            anything else), so a codec returns a Sequence only of rows that
            nothing changes afterwards. Such a Sequence may hold, instead of
            tuples, objects with the four attributes of :class:`HistoryRecord`
            (the codec's decoded records themselves, all of one kind), which
            are then read by attribute: no tuple per row.
        flat: True when the codec has checked that every ``data`` holds
            nothing but strings, numbers, booleans, None and bytes and that
            every ``timestamp`` is a ``datetime`` (not None), so that the
            caller need not look into them.
    """

    fields: dict[str, Any]
    history: Iterable[HistoryRow] | Sequence[HistoryRecord]
    flat: bool = False


class JobCodec(Protocol):
    """A serializer's fast path for whole job states (see the module docstring)."""

    def dump_job(self, snapshot: JobSnapshot) -> bytes | None:
        """The bytes ``spec.dumps(snapshot.to_data())`` returns, or None to use that generic path."""

    def load_job(self, raw: bytes) -> JobParts | None:
        """``spec.loads(raw)`` as :class:`JobParts`, or None to use the generic path."""


_CODECS: dict[SerializerSpec, JobCodec] = {}


def register_job_codec(spec: SerializerSpec, codec: JobCodec) -> None:
    """Use ``codec`` when ``JobState.save``/``load`` write or read a job with ``spec``.

    Registering again for an equal spec replaces the codec.

    Raises:
        TypeError: ``spec`` is not a ``SerializerSpec``, or ``codec`` lacks
            ``dump_job``/``load_job``.
    """
    if not isinstance(spec, SerializerSpec):
        raise TypeError(f"register_job_codec: spec must be a SerializerSpec, got {type(spec).__name__}")
    missing = [name for name in ("dump_job", "load_job") if not callable(getattr(codec, name, None))]
    if missing:
        raise TypeError(
            f"register_job_codec: the codec for serializer {spec.name!r} ({type(codec).__name__}) has no "
            f"callable {' or '.join(missing)}"
        )
    _CODECS[spec] = codec


def job_codec_for(spec: SerializerSpec) -> JobCodec | None:
    """The job codec registered for ``spec`` (or an equal spec), else None."""
    return _CODECS.get(spec)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Hold off the cyclic garbage collector for a job codec's bulk encode or decode, or a bulk build.

    These make tens of thousands of small acyclic objects, each allocation counting towards
    a collection that would scan them (and, every few saves, the whole heap) only to find no
    garbage. Pausing never leaks: anything cyclic made meanwhile is collected by the next
    collection. The collector is re-enabled only if it was enabled on entry, so a program
    that runs with it disabled keeps it disabled; concurrent pauses leave it enabled as soon
    as the first one ends, which costs speed, never memory. (A thread that disables it while
    a pause runs finds it enabled again when the pause ends: the collector is process-wide.)
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
