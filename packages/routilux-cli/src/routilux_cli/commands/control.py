"""``routilux pause|cancel JOB_ID``: control a durable job that runs in another process.

The request goes through the store (``store.request``); the process that runs
the job hears it within a moment and acts. The command then watches the
store's row of the job until its status shows the change, for at most
``--timeout`` seconds. ``routilux resume JOB_ID`` sends the third request, for
a paused job whose process is alive (see :mod:`routilux_cli.stored_resume`).
"""

from __future__ import annotations

import time
from typing import Any

import click

from routilux_cli.commands import fail

__all__ = ["COMMANDS", "cancel_command", "pause_command", "request_and_wait", "store_option",
           "summary_or_exit", "timeout_option"]

#: How often the store's row is read while waiting for the change.
_POLL_S = 0.05

#: The statuses that show each request done (a resumed job may have ended since).
_WANTED = {"pause": ("paused",), "resume": ("running", "completed", "failed", "cancelled"),
           "cancel": ("cancelled",)}
_PAST = {"pause": "paused", "resume": "resumed", "cancel": "cancelled"}

store_option = click.option(
    "--store", "store", metavar="PATH_OR_URL",
    help="The store that journals the job (default: $ROUTILUX_STORE, else ~/.routilux/routilux.db).")
timeout_option = click.option(
    "--timeout", type=float, default=10.0, show_default=True,
    help="Seconds to wait for the job's status to show the change.")


def request_and_wait(store: Any, job_id: str, action: str, timeout: float) -> None:
    """Ask the owner of ``job_id`` to ``action`` it, wait until the store shows it, report it, exit.

    Exit status 0 when the status changed as asked; 1 when the job's status or
    owner rules the request out (a final job, a dead owner) or no change came
    within ``timeout`` (the request stays queued for the owner).
    """
    from routilux.job_lifecycle import FINAL_STATUSES
    from routilux_cli.exit_codes import EXIT_FAILED

    if not timeout >= 0:
        fail(f"--timeout must be a number of seconds >= 0, got {timeout!r}")
    summary = summary_or_exit(store, job_id)
    if summary.status in FINAL_STATUSES:
        fail(f"job {job_id} is {summary.status}: it cannot be {_PAST[action]}", EXIT_FAILED)
    if summary.status in _WANTED[action]:
        click.echo(f"Job {job_id} is already {summary.status}")
        return
    owner = summary.owner
    if owner is None or not owner.is_alive():
        where = "no process" if owner is None else f"its process {owner.pid} on {owner.host} is gone"
        fail(f"job {job_id} is {summary.status} but {where}; continue it with: routilux resume {job_id} "
             f"--store {store.url}", EXIT_FAILED)
    store.request(job_id, action)
    deadline = time.monotonic() + timeout
    while summary.status not in _WANTED[action]:
        if summary.status in FINAL_STATUSES:
            fail(f"job {job_id} became {summary.status} before it could be {_PAST[action]}", EXIT_FAILED)
        if time.monotonic() >= deadline:
            fail(f"job {job_id} is still {summary.status} after {timeout:g}s; the {action} request stays "
                 f"queued for its process {owner.pid} on {owner.host}", EXIT_FAILED)
        time.sleep(_POLL_S)
        summary = store.summary(job_id)
    click.echo(f"Job {job_id} {_PAST[action]} (status: {summary.status})")


def summary_or_exit(store: Any, job_id: str, *, or_file: bool = False) -> Any:
    """``store.summary(job_id)``; for a job the store does not hold, one line naming the store, exit 2.

    ``or_file``: the command takes a job file too, so the line says no such file exists either.
    """
    try:
        return store.summary(job_id)
    except KeyError:
        fail(f"no job {job_id!r} in the store {store.url}" + (" (and no job file of that name)" * or_file))


def _control(job_id: str, store_path: str | None, timeout: float, action: str) -> None:
    from routilux_cli.job_store import open_store_or_exit, store_location

    store = open_store_or_exit(store_location(store_path), create=False)
    try:
        request_and_wait(store, job_id, action, timeout)
    finally:
        store.close()


@click.command("pause")
@click.argument("job_id")
@store_option
@timeout_option
def pause_command(job_id: str, store: str | None, timeout: float) -> None:
    """Pause a durable job that runs in another process.

    Running activations finish; the rest wait in the job until 'routilux
    resume JOB_ID'. Exit status: 0 once the store shows the job paused, 1 if
    it cannot be (a final job, a dead process) or no change came within
    --timeout, 2 for an unknown job or a store that cannot be opened.
    """
    _control(job_id, store, timeout, "pause")


@click.command("cancel")
@click.argument("job_id")
@store_option
@timeout_option
def cancel_command(job_id: str, store: str | None, timeout: float) -> None:
    """Cancel a durable job that runs in another process.

    Its pending work is dropped. Exit statuses as for 'routilux pause'.
    """
    _control(job_id, store, timeout, "cancel")


COMMANDS = [pause_command, cancel_command]
