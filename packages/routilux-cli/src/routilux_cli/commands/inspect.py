"""``routilux inspect JOB``: a job's status, per-routine figures, errors and history.

JOB is a job file (``--save-job``) if that path exists, else the id of a
durable job in the store: its recorded state is read from its journal
(``routilux.read_journaled_job``), from any process, while it runs or after.
The per-routine figures are the engine's (``JobState.routine_stats()``), the
same ones ``routilux run`` shows: saved with a job file; journaled when a
durable job settles (it ended, or a pause completed), so a job that is still
running (or died running) has none yet, and only the journal's totals of
activations and errors (the store's row) are shown for it.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from routilux_cli.commands.control import store_option, summary_or_exit

__all__ = ["COMMANDS", "describe_job"]


def _short(value: Any, width: int = 80) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


def describe_job(job: Any, summary: Any = None, store_url: str | None = None) -> dict[str, Any]:
    """A saved or journaled job as plain data (what ``inspect --json`` prints).

    ``activations`` maps each routine id to the engine's figures for it (the
    rows of :func:`routilux_cli.run_report.routine_rows`); ``outcome`` is what
    ``routilux run`` would have said (``completed with 2 unhandled errors``).
    ``journal`` is None for a job file; for a job of a store (``summary``, its
    :class:`~routilux.store.JobSummary`) it holds ``store``, the totals
    ``activations`` and ``errors``, ``owner`` (``host``, ``pid``) and ``finished_at``.
    """
    from routilux_cli.run_report import job_errors, outcome, routine_rows, to_jsonable
    from routilux_cli.runner import SHARED_KEY

    history = job.get_execution_history()
    cli = job.shared_data.get(SHARED_KEY) or {}
    rows = routine_rows(job)
    journal = None if summary is None else {
        "store": store_url,
        "activations": summary.activations,
        "errors": summary.errors,
        "owner": None if summary.owner is None else {"host": summary.owner.host, "pid": summary.owner.pid},
        "finished_at": summary.finished_at,
    }
    described: dict[str, Any] = to_jsonable({
        "job_id": job.job_id,
        "flow_id": job.flow_id,
        "status": job.status,
        "outcome": outcome(job, rows).text,
        "current_routine_id": job.current_routine_id,
        "created_at": job.created_at.isoformat(),
        # A job read from its journal was rebuilt just now: the store's row says when it last changed.
        "updated_at": (job.updated_at if summary is None else datetime.fromtimestamp(summary.updated_at)
                       ).isoformat(),
        "flow_file": summary.flow_file if summary is not None else cli.get("flow_file"),
        "journal": journal,
        "routine_states": job.routine_states,
        "activations": rows,
        "errors": job_errors(job),
        "pending_tasks": len(job.pending_tasks),
        "pause_points": job.pause_points,
        "outputs": job.output_log,
        "history": [
            {"timestamp": r.timestamp.isoformat(), "routine_id": r.routine_id, "event": r.event_name,
             "data": r.data}
            for r in history
        ],
    })
    return described


def _journaled(job_id: str, store_path: str | None) -> dict[str, Any]:
    """:func:`describe_job` of the job ``job_id`` of the store; an unknown id exits with status 2."""
    from routilux import read_journaled_job
    from routilux_cli.job_store import open_store_or_exit, store_location

    store = open_store_or_exit(store_location(store_path), create=False)
    try:
        summary = summary_or_exit(store, job_id, or_file=True)
        job = read_journaled_job(store, job_id)
    finally:
        store.close()
    return describe_job(job, summary, store.url)


@click.command("inspect")
@click.argument("job")
@store_option
@click.option("--json", "as_json", is_flag=True, help="Print everything as one JSON object.")
@click.option("--limit", type=int, default=50, show_default=True,
              help="History records shown in the table (the most recent ones; 0 for all).")
def inspect_command(job: str, store: str | None, as_json: bool, limit: int) -> None:
    """Show a job: status, per-routine states, errors and execution history.

    JOB is a job file saved by 'routilux run --save-job' if that path exists,
    else the id of a job in the store. Exit status 2 for a job that cannot be
    read (an unknown id, an unreadable file or store).
    """
    from rich.table import Table

    from routilux_cli.commands import load_job_or_exit, out_console

    path = Path(job)
    info = describe_job(load_job_or_exit(path)) if path.exists() else _journaled(job, store)
    if as_json:
        click.echo(json.dumps(info, indent=2, ensure_ascii=False))
        return
    console = out_console()
    console.print(f"Job {info['job_id']} of flow '{info['flow_id']}': {info['outcome']}", soft_wrap=True)
    console.print(f"created {info['created_at']}, updated {info['updated_at']}, "
                  f"pending activations: {info['pending_tasks']}", soft_wrap=True)
    if info["flow_file"]:
        console.print(f"flow file: {info['flow_file']}", soft_wrap=True)
    journal = info["journal"]
    if journal is not None:
        owner = journal["owner"]
        by = f", process {owner['pid']} on {owner['host']}" if owner else ""
        console.print(f"journaled in {journal['store']}: {journal['activations']} activation(s), "
                      f"{journal['errors']} error(s){by}", soft_wrap=True)
    states = Table(title="Routine states", title_justify="left")
    for column in ("routine", "status", "activations", "retries", "errors", "unhandled", "time (s)"):
        states.add_column(column)
    states.add_column("details")
    activations = info["activations"] or {}
    for rid in dict.fromkeys(list(info["routine_states"]) + list(activations)):
        state = info["routine_states"].get(rid) or {}
        details = {k: v for k, v in state.items() if k != "status"}
        row = activations.get(rid)
        figures = ("-",) * 5 if row is None else (
            str(row["activations"]), str(row["retries"]), str(row["errors"]), str(row["unhandled_errors"]),
            f"{row['time_s']:.3f}")
        states.add_row(rid, str(state.get("status", "-")), *figures, _short(details) if details else "")
    console.print(states)
    if journal is not None and not activations:
        console.print("per-routine figures: none current (a durable job journals them when it ends or "
                      "a pause completes)", soft_wrap=True)
    if info["errors"]:
        console.print(f"{len(info['errors'])} error(s):")
        for error in info["errors"]:
            console.print(f"  {error['timestamp']} {error['routine_id']}: {error.get('error', '')}",
                          soft_wrap=True)
    history = info["history"]
    shown = history if limit <= 0 else history[-limit:]
    table = Table(title=f"Execution history ({len(shown)} of {len(history)})", title_justify="left")
    for column in ("time", "routine", "event", "data"):
        table.add_column(column)
    for record in shown:
        table.add_row(record["timestamp"][11:23], record["routine_id"], record["event"],
                      _short(record["data"], 60))
    console.print(table)


COMMANDS = [inspect_command]
