"""What a job came to, read from the engine: per-routine figures, errors, the outcome and exit status.

Everything here reads the job itself: ``JobState.routine_stats()`` (the
engine's per-routine counts of activations, retries, errors and handler
time), its execution history (the error messages) and its status. Nothing is
counted by the CLI, so the figures are the same on every executor and after
a save and a resume. Used by ``routilux run``/``resume`` (summary, ``--json``)
and ``routilux inspect``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from routilux import Flow, JobState
from routilux_cli.exit_codes import EXIT_FAILED, EXIT_OK, EXIT_USAGE

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "Outcome",
    "job_errors",
    "outcome",
    "retry_lines",
    "routine_rows",
    "to_jsonable",
]

#: The columns of :func:`routine_rows` that are counts (summed over routines for the totals).
_COUNTS = ("activations", "succeeded", "failed", "retries", "unhandled_errors", "accepted_errors", "queued")


def to_jsonable(value: Any) -> Any:
    """``value`` with everything JSON cannot hold turned into text."""
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def routine_rows(job: JobState | None, flow: Flow | None = None) -> dict[str, dict[str, Any]]:
    """One row of plain data per routine: the engine's figures for it in ``job``.

    Keys: ``type`` (the class name, when ``flow`` is given), ``activations``
    (attempts, retries included), ``succeeded``, ``failed``, ``retries``,
    ``unhandled_errors`` (errors under no strategy: recorded, the job went
    on), ``accepted_errors`` (accepted by ``continue``/``skip``), ``queued``,
    ``time_s`` (seconds spent in handlers) and ``errors`` (attempts that
    raised, the same as ``failed``). Every routine of ``flow`` has a row, run
    or not; routines the job ran that ``flow`` lacks are kept too.
    """
    stats = job.routine_stats() if job is not None else {}
    ids = list(flow.routines) if flow is not None else []
    ids += [rid for rid in stats if rid not in ids]
    rows: dict[str, dict[str, Any]] = {}
    for rid in ids:
        row: dict[str, Any] = {}
        if flow is not None:
            routine = flow.routines.get(rid)
            row["type"] = type(routine).__name__ if routine is not None else None
        figures = stats.get(rid)
        for name in _COUNTS:
            row[name] = int(getattr(figures, name, 0) or 0)
        row["errors"] = row["failed"]
        row["time_s"] = round(float(getattr(figures, "handler_seconds", 0.0) or 0.0), 6)
        rows[rid] = row
    return rows


def retry_lines(rows: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """``pay: 3 attempts, succeeded`` for each routine that was retried.

    A routine retried for several activations reads
    ``pay: 6 attempts (3 retries), 3 succeeded, 1 failed``.
    """
    lines = []
    for rid, row in rows.items():
        retries = row["retries"]
        if not retries:
            continue
        attempts = row["activations"]
        # Each retry follows a failed attempt; the failed attempts left are the ones no retry overcame.
        gave_up = max(0, row["failed"] - retries)
        runs = attempts - retries
        if runs == 1:
            lines.append(f"{rid}: {attempts} attempts, {'failed' if gave_up else 'succeeded'}")
            continue
        text = f"{rid}: {attempts} attempts ({retries} retries), {row['succeeded']} succeeded"
        if gave_up:
            text += f", {gave_up} failed"
        lines.append(text)
    return lines


def job_errors(job: JobState | None) -> list[dict[str, Any]]:
    """The errors recorded in the job's history, oldest first, named by routine id in the flow.

    Each: ``routine_id``, ``slot``, ``error_type``, ``error``, ``timestamp``.
    The history is the job's (bounded by its ``history_limit``); the counts
    of :func:`routine_rows` are complete even when old records were dropped.
    """
    if job is None:
        return []
    errors = []
    for record in job.get_execution_history():
        if record.event_name != "error":
            continue
        data = record.data or {}
        errors.append({
            "routine_id": record.routine_id,
            "slot": data.get("slot"),
            "error_type": data.get("error_type"),
            "error": data.get("error", ""),
            "timestamp": record.timestamp.isoformat(),
        })
    return errors


class Outcome:
    """How a run ended: ``text`` (``completed with 2 unhandled errors``) and the exit ``status``."""

    __slots__ = ("status", "text", "unhandled_errors")

    def __init__(self, text: str, status: int, unhandled_errors: int) -> None:
        self.text = text
        self.status = status
        self.unhandled_errors = unhandled_errors

    def __repr__(self) -> str:
        return f"Outcome({self.text!r}, exit {self.status})"


def outcome(job: JobState | None, rows: Mapping[str, Mapping[str, Any]]) -> Outcome:
    """The outcome of ``job``: exit 0 only for a job that completed with no unhandled error.

    Errors a ``continue``/``skip`` strategy accepted, or that a retry overcame,
    do not count; an error under no strategy does (0.10 records it and the
    job goes on to ``completed``, which would otherwise hide it).
    """
    if job is None:
        return Outcome("not started", EXIT_FAILED, 0)
    unhandled = sum(int(row.get("unhandled_errors", 0)) for row in rows.values())
    status = job.status
    if status == "completed" and unhandled:
        plural = "s" if unhandled != 1 else ""
        return Outcome(f"completed with {unhandled} unhandled error{plural}", EXIT_FAILED, unhandled)
    return Outcome(status, EXIT_OK if status == "completed" else EXIT_FAILED, unhandled)
