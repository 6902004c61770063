"""The changes a JobState hands to a durable job's journal, and replaying them onto a job.

Every change made through a :class:`~routilux.job_state.JobState` method is
also given, as ``(kind, payload)``, to the job's ``journal`` (an
:class:`EffectLog`) when the job is durable. The kinds:

===============  ==============================================  ==============================
kind             payload                                         made by
===============  ==============================================  ==============================
``state``        ``[routine_id, state]``                         ``update_routine_state``
``shared``       ``[key, value]``                                ``update_shared_data``
``shared_log``   the entry                                       ``append_to_shared_log``
``output``       the ``output_log`` entry                        ``send_output``
``record``       ``[routine_id, event_name, data, epoch time]``  ``record_execution``
``emit``         ``[epoch time, routine_id, event_name, data]``  the engine, per emit (history)
``deferred``     the ``deferred_events`` entry                   ``add_deferred_event``
``stats``        ``{routine_id: figures}`` (``stats_to_data``)    the engine, when the job settles
===============  ==============================================  ==============================

:func:`apply_effect` makes the same change again on a job being rebuilt. ``stats`` is
the job's per-routine figures (``routine_stats()``) as they stood when the job ended or its
pause completed, so a rebuilt job starts from them (whether they are still current is the
rebuilder's call: activations may have ended after them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from routilux.execution_record import ExecutionRecord
from routilux.job_stats import stats_from_data

__all__ = ["EFFECT_KINDS", "EffectLog", "apply_effect"]

EFFECT_KINDS = ("state", "shared", "shared_log", "output", "record", "emit", "deferred", "stats")


class EffectLog(Protocol):
    """Where a durable job's changes go as they happen (the engine's journal of the job)."""

    def effect(self, kind: str, payload: Any) -> None: ...


def apply_effect(job: Any, kind: str, payload: Any) -> None:
    """Make the change ``(kind, payload)`` on ``job`` (a JobState), bypassing its journal.

    Raises:
        ValueError: an unknown kind.
    """
    if kind == "state":
        routine_id, state = payload
        job.routine_states[routine_id] = state
    elif kind == "shared":
        key, value = payload
        job.shared_data[key] = value
    elif kind == "shared_log":
        job.shared_log.append(payload)
    elif kind == "output":
        job.output_log.append(payload)
    elif kind == "record":
        routine_id, event_name, data, stamp = payload
        job.records.append(ExecutionRecord(routine_id, event_name, data, datetime.fromtimestamp(stamp)))
    elif kind == "emit":
        if job.emit_log is not None:
            job.emit_log.append(tuple(payload))
    elif kind == "deferred":
        job.deferred_events.append(payload)
    elif kind == "stats":
        job.tallies.load(stats_from_data(payload, f"job {job.job_id!r}, journaled figures"))
    else:
        raise ValueError(f"job {job.job_id!r}: unknown journal effect {kind!r}; known: {EFFECT_KINDS}")
