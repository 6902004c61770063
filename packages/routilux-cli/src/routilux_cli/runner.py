"""Running a flow file's job from the command line: counting, live display, Ctrl-C, summary.

Activations are counted by wrapping each slot handler of the loaded flow (the
``Slot.handler`` attribute; the wrapper keeps the handler's signature, so the
dispatch rules are unchanged). The job's execution history could not do this:
it records emits, not activations, so a routine that never emits would show
none, and it keeps a bounded number of records.

Ctrl-C (SIGINT) pauses the job (running activations finish, the rest is kept in
the job), saves it when asked and exits with status 130. The saved job carries
``shared_data["routilux_cli"]`` (the flow file, the params and the counts so
far), which is what ``routilux resume`` reads to rebuild the flow.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from routilux import Flow, JobState
from routilux.output_handler import OutputHandler
from routilux.routine import _current_job_state

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "ActivationStats",
    "ConsoleOutputHandler",
    "JobRunner",
    "SHARED_KEY",
    "exit_status",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

#: Where the CLI keeps what ``resume`` needs inside a saved job's ``shared_data``.
SHARED_KEY = "routilux_cli"

_FINAL = frozenset({"completed", "failed", "cancelled", "paused"})


def exit_status(status: str) -> int:
    """0 for a completed job, 1 otherwise."""
    return EXIT_OK if status == "completed" else EXIT_FAILED


def to_jsonable(value: Any) -> Any:
    """``value`` with everything JSON cannot hold turned into text."""
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


@dataclass
class RoutineStats:
    activations: int = 0
    running: int = 0
    errors: int = 0
    time_s: float = 0.0


@dataclass
class ActivationStats:
    """Per-routine activation counts, errors and handler time; thread-safe."""

    routines: Dict[str, RoutineStats] = field(default_factory=dict)
    errors: List[Dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def instrument(self, flow: Flow, on_start: Optional[Callable[[], None]] = None) -> None:
        """Wrap every slot handler of ``flow`` so its activations are counted.

        ``on_start`` runs at the start of each activation, before the handler
        (used to attach the output handler to the job before any handler runs).
        """
        for rid, routine in flow.routines.items():
            self.routines.setdefault(rid, RoutineStats())
            for slot in routine._slots.values():
                if slot.handler is not None:
                    slot.handler = self._counting(slot.handler, rid, slot.name, on_start)

    def _counting(self, handler: Callable[..., Any], rid: str, slot_name: str,
                  on_start: Optional[Callable[[], None]]) -> Callable[..., Any]:
        stats = self.routines[rid]
        lock = self._lock

        @functools.wraps(handler)
        def counted(*args: Any, **kwargs: Any) -> Any:
            if on_start is not None:
                on_start()
            with lock:
                stats.activations += 1
                stats.running += 1
            started = time.perf_counter()
            try:
                return handler(*args, **kwargs)
            except Exception as error:
                with lock:
                    stats.errors += 1
                    self.errors.append({
                        "routine_id": rid, "slot": slot_name, "error_type": type(error).__name__,
                        "error": str(error), "timestamp": datetime.now().isoformat(),
                    })
                raise
            finally:
                elapsed = time.perf_counter() - started
                with lock:
                    stats.running -= 1
                    stats.time_s += elapsed

        return counted

    def snapshot(self) -> Dict[str, Any]:
        """Plain data: ``{"routines": {id: {activations, errors, time_s}}, "errors": [...]}``."""
        with self._lock:
            return {
                "routines": {
                    rid: {"activations": s.activations, "errors": s.errors, "time_s": round(s.time_s, 6)}
                    for rid, s in self.routines.items()
                },
                "errors": [dict(e) for e in self.errors],
            }

    def add_previous(self, snapshot: Dict[str, Any]) -> None:
        """Start from the counts of an earlier run of the same job (a resumed one)."""
        with self._lock:
            for rid, values in (snapshot.get("routines") or {}).items():
                stats = self.routines.setdefault(rid, RoutineStats())
                stats.activations += int(values.get("activations", 0))
                stats.errors += int(values.get("errors", 0))
                stats.time_s += float(values.get("time_s", 0.0))
            self.errors[:0] = [dict(e) for e in snapshot.get("errors") or ()]


def _render_data(data: Any) -> str:
    if isinstance(data, str):
        return data
    return json.dumps(data, ensure_ascii=False, default=str)


class ConsoleOutputHandler(OutputHandler):
    """Prints each output as ``<routine id>: <output type> <data as JSON>`` and keeps them all."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.outputs: List[Dict[str, Any]] = []
        self._lock = threading.Lock()

    def handle(self, job_id: str, routine_id: str, output_type: str, data: Any,
               timestamp: Optional[datetime] = None) -> None:
        line = f"{routine_id}: {output_type} {_render_data(data)}"
        with self._lock:
            self.outputs.append({"routine_id": routine_id, "output_type": output_type, "data": data})
            self.console.print(Text(line), soft_wrap=True, highlight=False)


@dataclass
class JobRunner:
    """Runs (or resumes) one job with a live display, Ctrl-C handling and a summary.

    ``console`` gets the progress lines, outputs and the summary table; with
    ``as_json`` the caller prints :meth:`summary` as JSON instead, and
    ``console`` should be stderr.
    """

    flow: Flow
    flow_file: Path
    console: Console
    as_json: bool = False
    save_job: Optional[Path] = None
    params: Dict[str, Any] = field(default_factory=dict)
    executor_override: Optional[str] = None
    stats: ActivationStats = field(default_factory=ActivationStats)
    job: Optional[JobState] = None
    interrupted: bool = False
    saved_to: Optional[Path] = None
    save_error: Optional[str] = None
    elapsed_s: float = 0.0

    def __post_init__(self) -> None:
        self.output = ConsoleOutputHandler(self.console)
        self._interrupt = threading.Event()
        self._started = 0.0
        self.stats.instrument(self.flow, on_start=self._attach_output)

    def _attach_output(self) -> None:
        job = _current_job_state.get(None)
        if job is not None and getattr(job, "output_handler", None) is None:
            job.set_output_handler(self.output)

    # -- running ---------------------------------------------------------------------------

    def run(self, entry: str) -> int:
        """Execute the flow from ``entry`` with :attr:`params`; returns the exit status."""
        self._say(f"Running flow '{self.flow.flow_id}' from {self.flow_file} "
                  f"(entry: {entry}, executor: {self.flow.execution_strategy})")
        return self._drive(lambda: self.flow.execute(entry, entry_params=self.params))

    def resume(self, job: JobState) -> int:
        """Continue a saved (paused) job; returns the exit status."""
        saved = job.shared_data.get(SHARED_KEY) or {}
        if isinstance(saved.get("stats"), dict):
            self.stats.add_previous(saved["stats"])
        job.set_output_handler(self.output)
        self._say(f"Resuming job {job.job_id} of flow '{self.flow.flow_id}' from {self.flow_file} "
                  f"(status: {job.status}, pending activations: {len(job.pending_tasks)})")
        return self._drive(lambda: self.flow.resume(job))

    def _drive(self, start: Callable[[], JobState]) -> int:
        previous = signal.getsignal(signal.SIGINT)
        signal.signal(signal.SIGINT, self._on_sigint)
        live: Optional[Live] = None
        try:
            if self.console.is_terminal and not self.as_json:
                live = Live(get_renderable=self._progress, console=self.console,
                            refresh_per_second=10, transient=True)
                live.start()
            self._started = time.monotonic()
            job = start()
            self.job = job
            self._say(f"Job {job.job_id} started")
            JobState.wait_until_condition(
                self.flow, job, lambda _flow, j: self._interrupt.is_set() or j.status in _FINAL,
                check_interval=0.1,
            )
            if self._interrupt.is_set() and job.status not in ("completed", "failed", "cancelled"):
                self._pause_and_save(job)
            elif self.save_job is not None:
                self._save(job)
        except KeyboardInterrupt:
            # A second Ctrl-C while pausing: leave at once, without saving.
            self.console.print("Aborted: the job was not saved.", highlight=False)
            self.console.file.flush()
            os._exit(EXIT_INTERRUPTED)
        finally:
            self.elapsed_s = time.monotonic() - self._started if self._started else 0.0
            if live is not None:
                live.stop()
            signal.signal(signal.SIGINT, previous)
            self.flow.shutdown(wait=False)
        if self.interrupted:
            return EXIT_INTERRUPTED if self.save_error is None else EXIT_FAILED
        if self.save_error is not None:
            return EXIT_FAILED
        assert self.job is not None
        return exit_status(self.job.status)

    def _on_sigint(self, _signum: int, _frame: Any) -> None:
        if self._interrupt.is_set():
            raise KeyboardInterrupt
        self._interrupt.set()

    def _pause_and_save(self, job: JobState) -> None:
        self.interrupted = True
        self._say("Interrupted: pausing the job (running activations finish first; Ctrl-C again aborts)")
        self.flow.pause(job, reason="interrupted (SIGINT)")
        self._say(f"Job {job.job_id} paused with {len(job.pending_tasks)} pending activation(s)")
        if self.save_job is None:
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
            "stats": self.stats.snapshot(),
        }
        try:
            self.save_job.parent.mkdir(parents=True, exist_ok=True)
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
            pass

    # -- display and summary ------------------------------------------------------------------

    def _table(self, title: Optional[str] = None) -> Table:
        table = Table(title=title, title_justify="left")
        table.add_column("routine")
        table.add_column("type")
        table.add_column("activations", justify="right")
        table.add_column("errors", justify="right")
        table.add_column("time (s)", justify="right")
        snapshot = self.stats.snapshot()["routines"]
        for rid, values in snapshot.items():
            routine = self.flow.routines.get(rid)
            table.add_row(rid, type(routine).__name__ if routine is not None else "?",
                          str(values["activations"]), str(values["errors"]), f"{values['time_s']:.3f}")
        return table

    def _progress(self) -> Any:
        job = self.job
        status = job.status if job is not None else "starting"
        elapsed = time.monotonic() - self._started if self._started else 0.0
        header = Text(f"job {job.job_id if job else '-'}  status: {status}  elapsed: {elapsed:.1f}s")
        return Group(header, self._table())

    def summary(self) -> Dict[str, Any]:
        """The machine-readable summary of the run."""
        job = self.job
        snapshot = self.stats.snapshot()
        summary: Dict[str, Any] = to_jsonable({
            "status": job.status if job is not None else "not started",
            "job_id": job.job_id if job is not None else None,
            "flow_id": self.flow.flow_id,
            "flow_file": str(self.flow_file),
            "routines": snapshot["routines"],
            "elapsed_s": round(self.elapsed_s, 6),
            "errors": snapshot["errors"] + self._job_errors(),
            "outputs": self.output.outputs,
            "saved_job": str(self.saved_to) if self.saved_to is not None else None,
            "save_error": self.save_error,
        })
        return summary

    def _job_errors(self) -> List[Dict[str, Any]]:
        """Failures the handler wrappers cannot see (entry without trigger, mapping/merge errors)."""
        job = self.job
        if job is None:
            return []
        seen = {(e["routine_id"], e["error"]) for e in self.stats.errors}
        extra = []
        for rid, state in list(job.routine_states.items()):
            if isinstance(state, dict) and state.get("status") == "failed":
                message = str(state.get("error", ""))
                if (rid, message) not in seen:
                    extra.append({"routine_id": rid, "slot": None, "error_type": None, "error": message,
                                  "timestamp": None})
        return extra

    def print_summary(self) -> None:
        """The summary table, the errors and the final status line, on :attr:`console`."""
        job = self.job
        status = job.status if job is not None else "not started"
        self.console.print(self._table(title="Summary"))
        errors = self.summary()["errors"]
        if errors:
            self.console.print(Text(f"{len(errors)} error(s):"), highlight=False)
            for error in errors:
                kind = f"{error['error_type']}: " if error.get("error_type") else ""
                self.console.print(Text(f"  {error['routine_id']}: {kind}{error['error']}"),
                                   soft_wrap=True, highlight=False)
        job_id = job.job_id if job is not None else "-"
        self._say(f"Job {job_id} {status} in {self.elapsed_s:.2f}s")
