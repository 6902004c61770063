"""``routilux resume JOB_ID`` and ``routilux resume --all``: continue the durable jobs of a store.

A job whose process is alive and which is paused gets a ``resume`` request
(:func:`routilux_cli.commands.control.request_and_wait`). A job whose process
died is taken over here: the flow is rebuilt from the flow file the job
recorded (refused if the file is gone or its sha256 differs from the recorded
one), journaled into the same store, recovered with ``flow.recover(job_id)``
(activations that had not ended run again) and waited for like ``routilux
run``'s job, with the same report. ``--all`` recovers each job in a
``routilux resume JOB_ID`` child process of its own, one after the other: each
flow file's directory goes on ``sys.path`` and its modules are imported, which
two flow files could do under one name, and routines built in one process
get ids from one counter, which the flow's hash includes.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn

import click

from routilux_cli.commands import err_console, fail, load_flow_or_exit, out_console
from routilux_cli.exit_codes import EXIT_FAILED, EXIT_OK
from routilux_cli.job_store import file_sha256, open_store_or_exit, store_location

if TYPE_CHECKING:
    from routilux import Flow
    from routilux.store import JobHeader
    from routilux_cli.runner import JobRunner

__all__ = ["Refused", "rebuild_flow", "resume_from_store"]

#: ``summaries`` takes a limit; ``--all`` means every job the store holds.
_EVERY_JOB = 2**62


class Refused(Exception):
    """A job that cannot be recovered here; the message says why, on one line."""


def resume_from_store(job_id: str | None, store_path: str | None, *, all_jobs: bool, as_json: bool,
                      timeout: float, verbose: bool) -> NoReturn:
    """Continue ``job_id`` (or, with ``all_jobs``, every dead unfinished job) of the store; exit."""
    store = open_store_or_exit(store_location(store_path), create=False)
    try:
        if all_jobs:
            status = _resume_all(store, as_json, verbose)
        else:
            assert job_id is not None
            status = _resume_one(store, job_id, as_json, timeout)
    finally:
        store.close()
    sys.exit(status)


def _resume_one(store: Any, job_id: str, as_json: bool, timeout: float) -> int:
    from routilux.job_lifecycle import FINAL_STATUSES
    from routilux_cli.commands.control import request_and_wait, summary_or_exit
    from routilux_cli.runner import exit_status

    summary = summary_or_exit(store, job_id, or_file=True)
    if summary.status in FINAL_STATUSES:
        click.echo(f"Job {job_id} is already {summary.status}; nothing to resume.", err=True)
        return exit_status(summary.status)
    owner = summary.owner
    if owner is not None and owner.is_alive():
        if summary.status != "paused":
            fail(f"job {job_id} is {summary.status} in process {owner.pid} on {owner.host}; nothing to "
                 "resume", EXIT_FAILED)
        request_and_wait(store, job_id, "resume", timeout)
        return EXIT_OK
    try:
        runner, status = _recover(store, store.header(job_id), as_json)
    except Refused as refusal:
        fail(str(refusal))
    runner.report()
    return status


def _resume_all(store: Any, as_json: bool, verbose: bool) -> int:
    """Recover every dead unfinished job, oldest first, each in a child process; the worst exit status.

    A signal is passed on to the child that runs (which pauses its job) and ends the recovery.
    """
    dead = [summary for status in ("running", "paused")
            for summary in store.summaries(status=status, limit=_EVERY_JOB)
            if summary.owner is None or not summary.owner.is_alive()]
    dead.sort(key=lambda summary: summary.created_at)
    if not dead:
        click.echo(f"No job of {store.url} to recover: none is unfinished with its process gone.",
                   err=as_json)
    summaries: list[Any] = []
    worst = EXIT_OK
    for summary in dead:
        argv = [sys.executable, "-m", "routilux_cli", "resume", summary.job_id, "--store", store.url]
        argv += ["--json"] * as_json + ["--verbose"] * verbose
        status, out = _run_child(argv, capture=as_json)
        if out.strip():  # a refused job printed its one line on stderr, and nothing here
            summaries.append(json.loads(out))
        worst = max(worst, status)
        if status > 128:  # the child was interrupted: so is the whole recovery
            break
    if as_json:
        click.echo(json.dumps(summaries, indent=2, ensure_ascii=False))
    return worst


def _run_child(argv: list[str], capture: bool) -> tuple[int, str]:
    """Run ``argv`` (stderr, and stdout unless ``capture``, shared with this process); ``(status, stdout)``.

    The child has a session of its own, so a Ctrl-C at the terminal reaches it once, passed on from here.
    """
    from routilux_cli.runner import HANDLED_SIGNALS

    child = subprocess.Popen(argv, stdout=subprocess.PIPE if capture else None, text=True, encoding="utf-8",
                             start_new_session=True)

    def forward(signum: int, _frame: FrameType | None) -> None:
        child.send_signal(signum)

    previous = {signum: signal.signal(signum, forward) for signum in HANDLED_SIGNALS}
    try:
        out, _ = child.communicate()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    # A child killed by a signal counts as the shell reports it: 128 + the signal number.
    status = 128 - child.returncode if child.returncode < 0 else child.returncode
    return status, out or ""


def rebuild_flow(header: JobHeader) -> Flow:
    """The flow of ``header``'s job, from the flow file it recorded, run on the executor it ran on.

    Raises:
        Refused: the job records no flow file, the file is gone or changed, or its executor is unknown.
    """
    if not header.flow_file:
        raise Refused(f"job {header.job_id} records no flow file (it was not started by 'routilux run'); "
                      "recover it in Python with flow.recover()")
    path = Path(header.flow_file)
    try:
        digest = file_sha256(path)
    except OSError as error:
        raise Refused(f"job {header.job_id}: cannot read its flow file {path}: {error.strerror or error}") \
            from error
    if digest != header.flow_file_hash:
        raise Refused(f"job {header.job_id}: its flow file {path} changed since the job started (sha256 "
                      f"{digest[:12]}, the job recorded {str(header.flow_file_hash)[:12]}); restore the "
                      "file the job started with to recover it")
    flow, _spec = load_flow_or_exit(path)
    strategy = header.flow_data.get("execution_strategy")
    workers = header.flow_data.get("max_workers")
    if isinstance(strategy, str) and (strategy, workers) != (flow.execution_strategy, flow.max_workers):
        try:
            flow.set_execution_strategy(strategy, max_workers=workers if isinstance(workers, int) else None)
        except ValueError as error:
            raise Refused(f"job {header.job_id} ran on the executor {strategy!r}: {error}") from error
    return flow


def _recover(store: Any, header: JobHeader, as_json: bool) -> tuple[JobRunner, int]:
    """Take the job of ``header`` over and run it to its end; ``(runner, exit status)``.

    Raises:
        Refused: see :func:`rebuild_flow`; or the flow no longer matches the job, or another process
            took the job over first.
    """
    from routilux import read_journaled_job

    flow = rebuild_flow(header)
    flow.set_store(store, flow_file=header.flow_file, flow_file_hash=header.flow_file_hash)
    outputs_before = len(read_journaled_job(store, header.job_id).output_log)
    try:
        recovered = flow.recover(header.job_id)
    except (ValueError, KeyError) as error:
        raise Refused(f"job {header.job_id} cannot be recovered: {error}") from error
    if not recovered:
        raise Refused(f"job {header.job_id} was taken over by a live process meanwhile; nothing to do here")
    (job,) = recovered
    click.echo(f"Recovering job {job.job_id} of flow '{flow.flow_id}' from {header.flow_file} "
               f"(status: {job.status}, store: {store.url})", err=as_json)
    from routilux_cli.runner import JobRunner

    runner = JobRunner(flow=flow, flow_file=Path(str(header.flow_file)),
                       console=err_console() if as_json else out_console(), as_json=as_json,
                       params=dict(header.entry_params))
    status = runner.recover(lambda: flow.resume(job) if job.status == "paused" else job, outputs_before)
    return runner, status
