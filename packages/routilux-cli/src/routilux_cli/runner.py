"""Running a flow file's job from the command line: live display, outputs, Ctrl-C/SIGTERM, summary.

Nothing of the user's flow is wrapped or changed: the routines run exactly as
the flow defines them, on whatever executor, including ones that pickle them
to other processes. What the summary shows comes from the job
(:mod:`routilux_cli.run_report`): the engine's ``routine_stats()``, its
history and its status. Outputs are read from the job's ``output_log`` as
they appear, so the ones a handler sends before ``Flow.execute`` returns are
shown too.

Ctrl-C (SIGINT) and SIGTERM pause the job (running activations finish, the
rest is kept in the job), save it when asked and exit with 128 + the signal
number (130, 143). The saved job carries ``shared_data["routilux_cli"]`` (the
flow file, the params, the executor override), which is what
``routilux resume`` reads to rebuild the flow.

A flow with a durable store (``flow.store``) journals its job there. Such a
job can be paused from another process (``routilux pause JOB_ID``): the runner
then waits, paused, for ``routilux resume JOB_ID`` (or a signal, which leaves
the job paused in the store for ``routilux resume --store ...`` to continue).
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import click
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from routilux import Flow, JobState
from routilux_cli.run_report import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    job_errors,
    outcome,
    retry_lines,
    routine_rows,
    to_jsonable,
)

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_TERMINATED",
    "EXIT_USAGE",
    "HANDLED_SIGNALS",
    "SHARED_KEY",
    "JobRunner",
    "OutputTail",
    "exit_status",
    "to_jsonable",
]

#: The signals that pause the job (and save it with ``--save-job``); the exit status is 128 + signum.
HANDLED_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM)
EXIT_INTERRUPTED = 128 + signal.SIGINT
EXIT_TERMINATED = 128 + signal.SIGTERM

#: Where the CLI keeps what ``resume`` needs inside a saved job's ``shared_data``.
SHARED_KEY = "routilux_cli"

#: How often the main thread looks for new outputs while it waits for the job.
_POLL_S = 0.05
#: How long to wait, at the end, for the executor to shut down (a dask cluster closes in seconds).
_SHUTDOWN_TIMEOUT_S = 60.0
#: How long an interrupted run waits for its running activations to end before saving the job.
_PAUSE_WAIT_S = 5.0


def exit_status(status: str) -> int:
    """0 for a completed job, 1 otherwise (the status alone; see :func:`run_report.outcome`)."""
    return EXIT_OK if status == "completed" else EXIT_FAILED


def _render_data(data: Any) -> str:
    if isinstance(data, str):
        return data
    return json.dumps(data, ensure_ascii=False, default=str)


class OutputTail:
    """Prints the job's outputs as ``<routine id>: <output type> <data as JSON>``, each once.

    Reads ``job.output_log`` from ``start`` on (a resumed job keeps the outputs
    of its earlier runs there); only the thread that waits for the job calls
    :meth:`poll`, so no lock is needed.
    """

    def __init__(self, console: Console, start: int = 0) -> None:
        self.console = console
        self.outputs: list[dict[str, Any]] = []
        self._next = start

    def poll(self, job: JobState) -> None:
        """Print the outputs logged since the last call."""
        fresh = job.output_log[self._next:]
        self._next += len(fresh)
        for entry in fresh:
            output = {"routine_id": entry.get("routine_id"), "output_type": entry.get("output_type"),
                      "data": entry.get("data")}
            self.outputs.append(output)
            line = f"{output['routine_id']}: {output['output_type']} {_render_data(output['data'])}"
            self.console.print(Text(line), soft_wrap=True, highlight=False)


@dataclass
class JobRunner:
    """Runs (or resumes) one job with a live display, signal handling and a summary.

    ``console`` gets the progress lines, outputs and the summary table; with
    ``as_json`` the caller prints :meth:`summary` as JSON instead, and
    ``console`` should be stderr. The line that says what runs is the caller's
    to print, before this module (and rich with it) is imported.
    """

    flow: Flow
    flow_file: Path
    console: Console
    as_json: bool = False
    save_job: Path | None = None
    params: dict[str, Any] = field(default_factory=dict)
    executor_override: str | None = None
    job: JobState | None = None
    #: The signal that interrupted the run (SIGINT or SIGTERM), if any.
    interrupted_by: signal.Signals | None = None
    saved_to: Path | None = None
    save_error: str | None = None
    elapsed_s: float = 0.0

    def __post_init__(self) -> None:
        self.output = OutputTail(self.console)
        self._interrupt = threading.Event()
        self._started = 0.0

    @property
    def interrupted(self) -> bool:
        return self.interrupted_by is not None

    # -- running ---------------------------------------------------------------------------

    def run(self, entry: str) -> int:
        """Execute the flow from ``entry`` with :attr:`params`; returns the exit status."""
        return self._drive(lambda: self.flow.execute(entry, entry_params=self.params))

    def resume(self, job: JobState) -> int:
        """Continue a saved (paused) job; returns the exit status."""
        self.output = OutputTail(self.console, start=len(job.output_log))
        return self._drive(lambda: self.flow.resume(job))

    def recover(self, recovered: Callable[[], JobState], outputs_before: int) -> int:
        """Run on a durable job taken over from a dead process; returns the exit status.

        Args:
            recovered: takes the job over (``flow.recover``) and returns it, running.
            outputs_before: how many outputs the job had logged before (they are not shown again).
        """
        self.output = OutputTail(self.console, start=outputs_before)
        return self._drive(recovered)

    @property
    def store_url(self) -> str | None:
        """The URL of the store the flow journals its jobs into (None: they live in memory only)."""
        store = self.flow.store
        return None if store is None else str(store.url)

    def _drive(self, start: Callable[[], JobState]) -> int:
        previous = {signum: signal.getsignal(signum) for signum in HANDLED_SIGNALS}
        for signum in HANDLED_SIGNALS:
            signal.signal(signum, self._on_signal)
        live: Live | None = None
        clean_exit = False
        try:
            if self.console.is_terminal and not self.as_json:
                live = Live(get_renderable=self._progress, console=self.console,
                            refresh_per_second=10, transient=True)
                live.start()
            self._started = time.monotonic()
            job = start()
            self.job = job
            self._say(f"Job {job.job_id} started")
            self._wait(job)
            if self._interrupt.is_set() and job.status not in ("completed", "failed", "cancelled"):
                self._pause_and_save(job)
            elif self.save_job is not None:
                self._save(job)
            self.output.poll(job)
            clean_exit = True
        except KeyboardInterrupt:
            # A second signal while pausing: leave at once, without saving.
            self.console.print("Aborted: the job was not saved.", highlight=False)
            self.console.file.flush()
            os._exit(128 + (self.interrupted_by or signal.SIGINT))
        finally:
            self.elapsed_s = time.monotonic() - self._started if self._started else 0.0
            if live is not None:
                live.stop()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            self._shutdown(wait=clean_exit)
        return self.exit_status()

    def _wait(self, job: JobState) -> None:
        """Wait until the job ends, pauses or a signal comes, printing outputs as they are logged.

        A durable job that pauses is waited for still: it can be resumed from another process.
        """
        settled = ("completed", "failed", "cancelled") if self.store_url else ("completed", "failed",
                                                                              "cancelled", "paused")

        def done(_flow: Any, j: JobState) -> bool:
            return self._interrupt.is_set() or j.status in settled

        wait = JobState.wait_until_condition
        status = job.status
        while not wait(self.flow, job, done, timeout=_POLL_S, check_interval=_POLL_S):
            self.output.poll(job)
            if job.status != status:
                status = job.status
                self._say_remote_change(job)
        self.output.poll(job)

    def _say_remote_change(self, job: JobState) -> None:
        if job.status == "paused":
            self._say(f"Job {job.job_id} paused; continue it with: routilux resume {job.job_id} "
                      f"--store {self.store_url} (a signal leaves it paused in the store)")
        elif job.status == "running":
            self._say(f"Job {job.job_id} resumed")

    def _shutdown(self, wait: bool) -> None:
        """Stop the executor; a clean end waits (bounded) so a cluster closes before the interpreter."""
        if not wait:
            self.flow.shutdown(wait=False)
            return
        closer = threading.Thread(target=self.flow.shutdown, kwargs={"wait": True},
                                  name="routilux-cli-shutdown", daemon=True)
        closer.start()
        closer.join(_SHUTDOWN_TIMEOUT_S)
        if closer.is_alive():
            self._say(f"The executor did not shut down within {_SHUTDOWN_TIMEOUT_S:.0f}s; exiting anyway")

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self._interrupt.is_set():
            raise KeyboardInterrupt
        self.interrupted_by = signal.Signals(signum)
        self._interrupt.set()

    def _pause_and_save(self, job: JobState) -> None:
        name = self.interrupted_by.name if self.interrupted_by is not None else "a signal"
        # The pause is in force before it is announced: from the message on, nothing new starts.
        settled = self.flow.pause(job, reason=f"interrupted ({name})", timeout=0)
        self._say(f"Interrupted: pausing the job on {name} (running activations finish first; "
                  "a second signal aborts)")
        if not settled and not JobState.wait_for_completion(self.flow, job, timeout=_PAUSE_WAIT_S):
            self._say(f"Work of job {job.job_id} still runs after {_PAUSE_WAIT_S:.0f}s; "
                      "it is held as it ends")
        self.output.poll(job)
        self._say(f"Job {job.job_id} paused with {len(job.pending_tasks)} pending activation(s)")
        if self.save_job is None:
            if self.store_url is not None:
                self._say(f"Continue it with: routilux resume {job.job_id} --store {self.store_url}")
            else:
                self._say("Not saved (use --save-job PATH to keep a job for 'routilux resume')")
            return
        if self._save(job):
            self._say(f"Continue it with: routilux resume {self.save_job}")

    def _save(self, job: JobState) -> bool:
        """Save ``job`` (with what ``resume`` needs) to :attr:`save_job`; False if that failed."""
        assert self.save_job is not None
        job.shared_data[SHARED_KEY] = {
            "flow_file": str(self.flow_file.resolve()),
            "params": to_jsonable(self.params),
            "executor": self.executor_override,
        }
        try:
            job.save(str(self.save_job))
        except Exception as error:
            self.save_error = f"{type(error).__name__}: {error}"
            self._say(f"Could not save the job to {self.save_job}: {self.save_error}")
            return False
        self.saved_to = self.save_job
        self._say(f"Saved the {job.status} job to {self.save_job}")
        return True

    def _say(self, message: str) -> None:
        self.console.print(Text(message), soft_wrap=True, highlight=False)
        try:
            self.console.file.flush()
        except Exception:
            pass  # a closed or odd stream: the message was printed as far as it could be

    # -- display and summary ------------------------------------------------------------------

    def _table(self, title: str | None = None) -> Table:
        table = Table(title=title, title_justify="left")
        for column in ("routine", "type"):
            table.add_column(column)
        for column in ("activations", "retries", "errors", "unhandled", "time (s)"):
            # On a narrow terminal the names and types give way, not the figures' headers.
            table.add_column(column, justify="right", no_wrap=True, min_width=len(column))
        for rid, row in routine_rows(self.job, self.flow).items():
            table.add_row(rid, str(row.get("type") or "?"), str(row["activations"]), str(row["retries"]),
                          str(row["errors"]), str(row["unhandled_errors"]), f"{row['time_s']:.3f}")
        return table

    def _progress(self) -> Any:
        job = self.job
        status = job.status if job is not None else "starting"
        elapsed = time.monotonic() - self._started if self._started else 0.0
        header = Text(f"job {job.job_id if job else '-'}  status: {status}  elapsed: {elapsed:.1f}s")
        return Group(header, self._table())

    def exit_status(self) -> int:
        """128 + signum after a signal (1 if the job could not be saved then), else the outcome's."""
        if self.interrupted_by is not None:
            return 128 + self.interrupted_by if self.save_error is None else EXIT_FAILED
        if self.save_error is not None:
            return EXIT_FAILED
        return outcome(self.job, routine_rows(self.job, self.flow)).status

    def summary(self) -> dict[str, Any]:
        """The machine-readable summary of the run (what ``--json`` prints)."""
        job = self.job
        rows = routine_rows(job, self.flow)
        result = outcome(job, rows)
        summary: dict[str, Any] = to_jsonable({
            "status": job.status if job is not None else "not started",
            "outcome": result.text,
            "exit_status": self.exit_status(),
            "unhandled_errors": result.unhandled_errors,
            "accepted_errors": sum(row["accepted_errors"] for row in rows.values()),
            "retries": sum(row["retries"] for row in rows.values()),
            "interrupted_by": self.interrupted_by.name if self.interrupted_by is not None else None,
            "job_id": job.job_id if job is not None else None,
            "store": self.store_url,
            "flow_id": self.flow.flow_id,
            "flow_file": str(self.flow_file),
            "routines": rows,
            "elapsed_s": round(self.elapsed_s, 6),
            "errors": job_errors(job),
            "outputs": self.output.outputs,
            "saved_job": str(self.saved_to) if self.saved_to is not None else None,
            "save_error": self.save_error,
        })
        return summary

    def report(self) -> None:
        """The run's report: :meth:`summary` as JSON on stdout with :attr:`as_json`, else the table."""
        if self.as_json:
            click.echo(json.dumps(self.summary(), indent=2, ensure_ascii=False))
        else:
            self.print_summary()

    def print_summary(self) -> None:
        """The summary table, retries, errors and the final status line, on :attr:`console`."""
        job = self.job
        self.console.print(self._table(title="Summary"))
        rows = routine_rows(job, self.flow)
        for line in retry_lines(rows):
            self.console.print(Text(line), soft_wrap=True, highlight=False)
        errors = job_errors(job)
        if errors:
            self.console.print(Text(f"{len(errors)} error(s):"), highlight=False)
            for error in errors:
                kind = f"{error['error_type']}: " if error.get("error_type") else ""
                self.console.print(Text(f"  {error['routine_id']}: {kind}{error['error']}"),
                                   soft_wrap=True, highlight=False)
        job_id = job.job_id if job is not None else "-"
        if self.store_url is not None:
            self._say(f"Journaled in {self.store_url}")
        self._say(f"Job {job_id} {outcome(job, rows).text} in {self.elapsed_s:.2f}s")
