"""The job state machine: what each call does to a job in each status, in one table.

Every status change of a job goes through :func:`transition`: the engine asks
it before pausing, resuming, cancelling, completing or failing a job, and acts
only on its answer. :data:`TABLE` is the whole machine; :func:`markdown_table`
renders it for the README (a test keeps the two equal).

A job whose status is ``"running"`` but of which nothing is in flight in this
process is a *snapshot*: a job saved while it ran and loaded again, or one
built by hand. A snapshot holds no record of the work that was queued or
running when it was taken, so it cannot be paused or resumed (that would
report it completed with that work never run). Only a paused job carries its
pending work (``pending_tasks``) and can be resumed elsewhere.

Statuses are plain strings and are not validated (as in 0.10): a status that
is none of :data:`STATUSES` follows the row ``other``.
"""

from __future__ import annotations

import attrs

__all__ = [
    "CALLS",
    "FINAL_STATUSES",
    "SETTLED_STATUSES",
    "STATUSES",
    "TABLE",
    "JobStatusError",
    "Rule",
    "markdown_table",
    "row_of",
    "transition",
]

PENDING = "pending"
RUNNING = "running"
PAUSED = "paused"
COMPLETED = "completed"
FAILED = "failed"
CANCELLED = "cancelled"

#: Every status the engine sets.
STATUSES = (PENDING, RUNNING, PAUSED, COMPLETED, FAILED, CANCELLED)
#: Statuses after which a job does no more work (until a ``completed`` one is paused and resumed).
FINAL_STATUSES = frozenset({COMPLETED, FAILED, CANCELLED})
#: Statuses a waiter returns for at once (a paused job counts once nothing of it runs).
SETTLED_STATUSES = FINAL_STATUSES | {PAUSED}

#: The row of a running job of which nothing is in flight in this process.
SNAPSHOT = "running (snapshot)"
#: The row of any status string that is not one of :data:`STATUSES`.
OTHER = "other"
ROWS = (PENDING, RUNNING, SNAPSHOT, PAUSED, COMPLETED, FAILED, CANCELLED, OTHER)

#: ``execute``/``pause``/``resume``/``cancel`` are the flow's methods, ``wait`` is
#: ``JobState.wait_for_completion``; ``complete`` (the job's last activation ended)
#: and ``fail`` (an error under ``stop``, or a failed entry) are the engine's.
CALLS = ("execute", "pause", "resume", "cancel", "wait", "complete", "fail")


class JobStatusError(ValueError):
    """A call that the job's status does not allow (for example resuming a cancelled job)."""

    def __init__(self, message: str, *, job_id: str, status: str, call: str) -> None:
        super().__init__(message)
        self.job_id = job_id
        self.status = status
        self.call = call


@attrs.frozen
class Rule:
    """What one call does in one status.

    ``then`` is the status after the call (None: unchanged); a non-empty
    ``refused`` makes the call raise :class:`JobStatusError` with that reason;
    ``text`` is the README's cell.
    """

    text: str
    then: str | None = None
    refused: str = ""


_NEW_JOB = Rule("— (`execute` always makes a new job)")
_SETTLED = Rule("`True` at once")
_FINAL = "a {status} job is final"
_SNAPSHOT = (
    "nothing of it is in flight in this process: it is a snapshot of a running job (saved while "
    "it ran, or built by hand)"
)

TABLE: dict[str, dict[str, Rule]] = {
    PENDING: {
        "execute": Rule("→ `running`: every `execute` makes a new job and runs its entry", RUNNING),
        "pause": Rule("→ `paused`", PAUSED),
        "resume": Rule("unchanged (it never ran); returns the job"),
        "cancel": Rule("→ `cancelled`", CANCELLED),
        "wait": Rule("`False` at the timeout (a pending job never settles)"),
        "complete": Rule("unchanged"),
        "fail": Rule("→ `failed`", FAILED),
    },
    RUNNING: {
        "execute": _NEW_JOB,
        "pause": Rule(
            "→ `paused`: queued and new activations are held; returns `True` once nothing of the "
            "job runs, `False` if `timeout` passed first (the pause completes when the running "
            "handlers return)",
            PAUSED,
        ),
        "resume": Rule("unchanged; returns the job"),
        "cancel": Rule("→ `cancelled`: queued work is dropped, emits of running handlers go nowhere",
                       CANCELLED),
        "wait": Rule("`True` once the job is final or paused; `False` at the timeout"),
        "complete": Rule("→ `completed`, or `failed` if a routine state is `failed`/`error`", COMPLETED),
        "fail": Rule("→ `failed`: queued and held work is dropped", FAILED),
    },
    SNAPSHOT: {
        "execute": _NEW_JOB,
        "pause": Rule("`ValueError`", refused=_SNAPSHOT),
        "resume": Rule("`ValueError`", refused=_SNAPSHOT),
        "cancel": Rule("→ `cancelled`", CANCELLED),
        "wait": Rule("`False` at once (it cannot complete in this process)"),
        "complete": Rule("— (nothing of it is in flight here)"),
        "fail": Rule("→ `failed`", FAILED),
    },
    PAUSED: {
        "execute": _NEW_JOB,
        "pause": Rule("unchanged; a new pause point is recorded"),
        "resume": Rule(
            "→ `running`: the held (or, for a loaded job, described) activations and the deferred "
            "events are queued again; returns the job still `running`, the engine completes it",
            RUNNING,
        ),
        "cancel": Rule("→ `cancelled`: held work is dropped", CANCELLED),
        "wait": Rule("`True` once nothing of the job runs"),
        "complete": Rule("unchanged"),
        "fail": Rule("→ `failed` (a handler running when the pause came failed under `stop`)", FAILED),
    },
    COMPLETED: {
        "execute": _NEW_JOB,
        "pause": Rule("→ `paused` (as in 0.10)", PAUSED),
        "resume": Rule("unchanged; returns the job"),
        "cancel": Rule("→ `cancelled` (as in 0.10)", CANCELLED),
        "wait": _SETTLED,
        "complete": Rule("unchanged"),
        "fail": Rule("→ `failed` (a later `stop` error, as in 0.10)", FAILED),
    },
    FAILED: {
        "execute": _NEW_JOB,
        "pause": Rule("`ValueError`", refused=_FINAL),
        "resume": Rule("`ValueError`", refused=_FINAL),
        "cancel": Rule("→ `cancelled`", CANCELLED),
        "wait": _SETTLED,
        "complete": Rule("unchanged"),
        "fail": Rule("unchanged"),
    },
    CANCELLED: {
        "execute": _NEW_JOB,
        "pause": Rule("`ValueError`", refused=_FINAL),
        "resume": Rule("`ValueError`", refused=_FINAL),
        "cancel": Rule("unchanged"),
        "wait": _SETTLED,
        "complete": Rule("unchanged (cancel is final)"),
        "fail": Rule("unchanged (cancel is final)"),
    },
    OTHER: {
        "execute": _NEW_JOB,
        "pause": Rule("`ValueError`", refused="that is not a job status"),
        "resume": Rule("`ValueError`", refused="that is not a job status"),
        "cancel": Rule("→ `cancelled`", CANCELLED),
        "wait": Rule("`False` at the timeout"),
        "complete": Rule("unchanged"),
        "fail": Rule("→ `failed`", FAILED),
    },
}

_ADVICE = {
    SNAPSHOT: (
        ". A snapshot holds no record of the work that was queued or running when it was taken, so "
        "it can be neither paused nor resumed: that would report it completed with that work never "
        "run. Only a paused job can be resumed from storage (pause it, then save it); a job saved "
        "while running comes back through a durable store, not from a snapshot"
    ),
    OTHER: f"; job statuses are {', '.join(STATUSES)}",
}


def row_of(status: str, *, in_flight_here: bool) -> str:
    """The row of :data:`TABLE` for a job in ``status``.

    Args:
        status: The job's status.
        in_flight_here: Whether an engine of this process accounts for the
            job's work (False for a job loaded from storage or built by hand).
    """
    if status == RUNNING and not in_flight_here:
        return SNAPSHOT
    return status if status in TABLE else OTHER


def transition(job_id: str, status: str, call: str, *, in_flight_here: bool = True) -> str | None:
    """The status a job in ``status`` has after ``call`` (None: unchanged).

    Raises:
        JobStatusError: (a ``ValueError``) the call is refused in this status;
            the message names the job, its status and why.
        KeyError: ``call`` is not one of :data:`CALLS`.
    """
    row = row_of(status, in_flight_here=in_flight_here)
    rule = TABLE[row][call]
    if rule.refused:
        reason = rule.refused.format(status=status)
        raise JobStatusError(
            f"cannot {call} job {job_id!r}: its status is {status!r} and {reason}{_ADVICE.get(row, '')}",
            job_id=job_id, status=status, call=call,
        )
    return rule.then


def markdown_table() -> str:
    """:data:`TABLE` as the Markdown table of the README's "Job lifecycle" section."""
    lines = [
        "| status | " + " | ".join(f"`{call}`" for call in CALLS) + " |",
        "|---" * (len(CALLS) + 1) + "|",
    ]
    for row in ROWS:
        label = f"`{row}`" if row in STATUSES else (
            "`running`, a snapshot (loaded, or built by hand)" if row == SNAPSHOT else "any other string"
        )
        lines.append(f"| {label} | " + " | ".join(TABLE[row][call].text for call in CALLS) + " |")
    return "\n".join(lines)
