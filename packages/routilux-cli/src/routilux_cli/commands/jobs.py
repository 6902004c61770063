"""``routilux jobs``: the durable jobs of a store, newest first; ``routilux jobs prune``: drop old ones."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime
from typing import Any

import click

from routilux_cli.commands import fail
from routilux_cli.commands.control import store_option

__all__ = ["COMMANDS", "jobs_group", "parse_age"]

#: Seconds in each unit ``--older-than`` takes.
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_AGE = re.compile(r"(\d+(?:\.\d+)?)([smhd])")


def parse_age(text: str) -> float:
    """``"7d"`` -> seconds: a number and one unit of ``s``, ``m``, ``h``, ``d``.

    Raises:
        ValueError: any other text (the message says what is expected).
    """
    match = _AGE.fullmatch(text.strip().lower())
    if match is None:
        raise ValueError(f"--older-than {text!r} is not an age: use a number and a unit of s, m, h or d "
                         "(30m, 12h, 7d)")
    return float(match.group(1)) * _UNITS[match.group(2)]


def _row(summary: Any) -> dict[str, Any]:
    """One job of the listing as plain data (what ``--json`` prints for it)."""
    end = summary.finished_at if summary.finished_at is not None else summary.updated_at
    owner = summary.owner
    return {
        "job_id": summary.job_id,
        "flow_id": summary.flow_id,
        "status": summary.status,
        "started": datetime.fromtimestamp(summary.created_at).isoformat(timespec="seconds"),
        "duration_s": round(max(0.0, end - summary.created_at), 3),
        "activations": summary.activations,
        "errors": summary.errors,
        "finished": summary.finished_at is not None,
        "owner": None if owner is None else {"host": owner.host, "pid": owner.pid},
        "flow_file": summary.flow_file,
    }


def _print_table(rows: list[dict[str, Any]], url: str) -> None:
    from rich.table import Table

    from routilux_cli.commands import out_console

    table = Table(title=f"Jobs in {url}", title_justify="left", box=None, pad_edge=False,
                  collapse_padding=True, header_style="bold")
    # On a narrow terminal the flow ids wrap; the job ids, which are copied into other commands, stay whole.
    table.add_column("id", no_wrap=True, min_width=max(len(row["job_id"]) for row in rows))
    table.add_column("flow", overflow="fold", min_width=8)
    table.add_column("status", no_wrap=True, min_width=len("completed"))
    table.add_column("started", no_wrap=True)
    for column in ("duration", "activations", "errors"):
        table.add_column(column, justify="right")
    for row in rows:
        # A job still running has been running for that long: its duration so far.
        duration = f"{row['duration_s']:.1f}s" + ("" if row["finished"] else "+")
        # Month, day and time: the year (in --json) would cost the flow ids their room.
        started = row["started"][5:].replace("T", " ")
        table.add_row(row["job_id"], row["flow_id"], row["status"], started, duration,
                      str(row["activations"]), str(row["errors"]))
    out_console().print(table)


@click.group("jobs", invoke_without_command=True)
@store_option
@click.option("--status", help="Only jobs with this status: pending, running, paused, completed, failed "
                               "or cancelled.")
@click.option("--flow", "flow_id", metavar="FLOW_ID", help="Only the jobs of this flow.")
@click.option("--limit", type=int, default=50, show_default=True, help="At most this many jobs.")
@click.option("--json", "as_json", is_flag=True, help="Print the jobs as a JSON list.")
@click.pass_context
def jobs_group(ctx: click.Context, store: str | None, status: str | None, flow_id: str | None, limit: int,
               as_json: bool) -> None:
    """List the durable jobs of a store, newest first; 'routilux jobs prune' deletes old ones.

    Columns: id, flow, status, started, duration (so far, with a '+', for a
    job that is not finished), activations and errors. Exit status 2 for an
    unknown --status, a --limit below 1 or a store that cannot be opened.
    """
    from routilux.job_lifecycle import STATUSES
    from routilux_cli.job_store import open_store_or_exit, store_exists, store_location

    if ctx.invoked_subcommand is not None:
        return
    if status is not None and status not in STATUSES:
        fail(f"--status {status!r} is not a job status; use one of {', '.join(STATUSES)}")
    if limit < 1:
        fail(f"--limit must be at least 1, got {limit}")
    location = store_location(store)
    if store is None and not store_exists(location):
        # Nothing has run yet: an empty listing, not an error (and reading creates no store).
        rows: list[dict[str, Any]] = []
        url = location
    else:
        opened = open_store_or_exit(location, create=False)
        try:
            rows = [_row(s) for s in opened.summaries(status=status, flow_id=flow_id, limit=limit)]
            url = opened.url
        finally:
            opened.close()
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    elif rows:
        _print_table(rows, url)
    else:
        click.echo(f"No jobs in {url}.")


@jobs_group.command("prune")
@store_option
@click.option("--older-than", "older_than", required=True, metavar="AGE",
              help="Delete the finished jobs started longer ago than this: 30m, 12h, 7d (units s, m, h, d).")
def prune_command(store: str | None, older_than: str) -> None:
    """Delete the finished (completed, failed, cancelled) jobs older than --older-than, with their journals.

    Running and paused jobs are kept, however old. Exit status 2 for a bad
    age or a store that cannot be opened.
    """
    from routilux_cli.job_store import open_store_or_exit, store_location

    try:
        age = parse_age(older_than)
    except ValueError as error:
        fail(str(error))
    opened = open_store_or_exit(store_location(store), create=False)
    try:
        removed = opened.prune(time.time() - age)
        url = opened.url
    finally:
        opened.close()
    click.echo(f"Pruned {removed} finished job(s) older than {older_than} from {url}.")


COMMANDS = [jobs_group]
