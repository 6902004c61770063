"""``routilux inspect JOB``: a saved job's status, per-routine figures, errors and history.

The per-routine figures are the engine's (``JobState.routine_stats()``, saved
with the job), the same ones ``routilux run`` shows.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict

import click

__all__ = ["COMMANDS", "describe_job"]


def _short(value: Any, width: int = 80) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


def describe_job(job: Any) -> Dict[str, Any]:
    """A saved job as plain data (what ``inspect --json`` prints).

    ``activations`` maps each routine id to the engine's figures for it (the
    rows of :func:`routilux_cli.run_report.routine_rows`); ``outcome`` is what
    ``routilux run`` would have said (``completed with 2 unhandled errors``).
    """
    from routilux_cli.run_report import job_errors, outcome, routine_rows, to_jsonable
    from routilux_cli.runner import SHARED_KEY

    history = job.get_execution_history()
    cli = job.shared_data.get(SHARED_KEY) or {}
    rows = routine_rows(job)
    described: Dict[str, Any] = to_jsonable({
        "job_id": job.job_id,
        "flow_id": job.flow_id,
        "status": job.status,
        "outcome": outcome(job, rows).text,
        "current_routine_id": job.current_routine_id,
        "created_at": job.created_at.isoformat(),
        "updated_at": job.updated_at.isoformat(),
        "flow_file": cli.get("flow_file"),
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


@click.command("inspect")
@click.argument("job_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print everything as one JSON object.")
@click.option("--limit", type=int, default=50, show_default=True,
              help="History records shown in the table (the most recent ones; 0 for all).")
def inspect_command(job_file: Path, as_json: bool, limit: int) -> None:
    """Show a saved job: status, per-routine states, errors and execution history."""
    from rich.table import Table

    from routilux_cli.commands import out_console
    from routilux_cli.commands.run import _load_job_or_exit

    job = _load_job_or_exit(job_file)
    info = describe_job(job)
    if as_json:
        click.echo(json.dumps(info, indent=2, ensure_ascii=False))
        return
    console = out_console()
    console.print(f"Job {info['job_id']} of flow '{info['flow_id']}': {info['outcome']}", soft_wrap=True)
    console.print(f"created {info['created_at']}, updated {info['updated_at']}, "
                  f"pending activations: {info['pending_tasks']}", soft_wrap=True)
    if info["flow_file"]:
        console.print(f"flow file: {info['flow_file']}", soft_wrap=True)
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
