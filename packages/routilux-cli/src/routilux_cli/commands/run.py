"""``routilux run FLOW`` and ``routilux resume JOB``.

``run`` journals its job into a durable store unless ``--no-store``
(:mod:`routilux_cli.job_store` says which); ``resume`` continues a job file
here and a job of a store through :mod:`routilux_cli.stored_resume`.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from routilux_cli.commands import err_console, fail, load_flow_or_exit, load_job_or_exit, out_console
from routilux_cli.commands.control import store_option, timeout_option
from routilux_cli.params import check_entry_params_or_exit, parse_params_or_exit

if TYPE_CHECKING:
    from routilux import Flow
    from routilux_cli.flowfile import FlowFileSpec

__all__ = ["COMMANDS"]


#: dask.distributed's own log level setting, read when distributed is imported (here and in each
#: worker process a LocalCluster starts, which inherit the environment).
_DASK_LOG_LEVEL_VARIABLE = "DASK_DISTRIBUTED__LOGGING__DISTRIBUTED"


def _setup_logging(verbose: bool) -> None:
    """Handler errors are reported in the summary; -v also logs them (with tracebacks) on stderr.

    Without -v, dask's INFO lines (scheduler, nannies, workers starting and
    stopping) stay off the terminal too: distributed installs a handler of its
    own at INFO, so the root level set here does not reach it. A level the
    user set in the environment wins.
    """
    logging.basicConfig(level=logging.WARNING if verbose else logging.CRITICAL, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    if not verbose:
        os.environ.setdefault(_DASK_LOG_LEVEL_VARIABLE, "error")


def _apply_executor(flow: Flow, name: str | None, max_workers: int) -> None:
    """Switch ``flow`` to the executor ``name``; a usage error (exit 2) naming what to install if unknown."""
    from routilux.plugins import PluginLookupError, get_registry
    from routilux_cli.plugin_hints import install_hint

    if name is None or name == flow.execution_strategy:
        return
    try:
        get_registry().get_executor(name)
    except PluginLookupError as error:
        hint = install_hint("executor", name)
        message = f"{error}; {hint}" if hint else str(error)
        raise click.BadParameter(message, param_hint="--executor") from None
    try:
        flow.set_execution_strategy(name, max_workers=max_workers if max_workers > 1 else None)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--executor") from error


def _check_save_path(path: Path | None, option: str = "--save-job") -> None:
    """Refuse, before anything runs, a job file whose suffix no installed serializer claims.

    ``JobState.save`` would fall back to JSON for it (0.10 did), writing JSON
    into ``job.yaml``; the registry's error lists the suffixes that exist.
    """
    from routilux.plugins import PluginError, get_registry

    if path is None:
        return
    try:
        get_registry().serializer_for_path(path)
    except (PluginError, ValueError) as error:  # ValueError: PluginLookupError, the suffix is not claimed
        raise click.BadParameter(str(error), param_hint=option) from None


def _announce(message: str, as_json: bool) -> None:
    """Print the run's first line where its progress goes (stderr with ``--json``), at once.

    Plain click output, so the line does not wait for rich and the runner to be imported.
    """
    click.echo(message, err=as_json)


def _journal_into(flow: Flow, flow_file: Path, spec: FlowFileSpec, option: str | None) -> Any:
    """Open the run's store and journal ``flow``'s job into it, recording the flow file and its sha256."""
    from routilux_cli.job_store import file_sha256, open_store_or_exit, store_location

    store = open_store_or_exit(store_location(option, spec.store, flow_file), create=True)
    flow.set_store(store, flow_file=str(flow_file.resolve()), flow_file_hash=file_sha256(flow_file))
    return store


@click.command("run")
@click.argument("flow_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--param", "-p", "param_pairs", multiple=True, metavar="KEY=VALUE",
              help="An entry parameter (repeatable); overrides the flow file's entry params. "
                   "VALUE is read as YAML: 3, true, [a, b] and text all work.")
@click.option("--executor", metavar="NAME", help="Run with this registered executor instead of the file's.")
@click.option("--save-job", type=click.Path(dir_okay=False, path_type=Path),
              help="Save the job here when it ends or is interrupted (Ctrl-C, SIGTERM); the suffix picks "
                   "the serializer, and one that no serializer claims is refused before the run.")
@click.option("--store", "store_path", metavar="PATH_OR_URL",
              help="Journal the job into this store (default: the flow file's 'store:', else "
                   "$ROUTILUX_STORE, else ~/.routilux/routilux.db).")
@click.option("--no-store", is_flag=True, help="Run the job in memory only: nothing is journaled.")
@click.option("--json", "as_json", is_flag=True,
              help="Print a JSON summary on stdout (progress goes to stderr).")
@click.option("--verbose", "-v", is_flag=True,
              help="Log handler errors with their tracebacks, and the executor's own logs (dask), on stderr.")
def run_command(flow_file: Path, param_pairs: tuple[str, ...], executor: str | None,
                save_job: Path | None, store_path: str | None, no_store: bool, as_json: bool,
                verbose: bool) -> None:
    """Run the job of a flow file, with live progress and a summary.

    The job is journaled into a durable store (see --store), so that
    'routilux jobs', 'inspect', 'pause', 'resume' and 'cancel' reach it from
    other processes, and 'routilux resume JOB_ID' recovers it if this process
    dies. Exit status: 0 when the job completed with no unhandled error, 1
    when it failed, was cancelled or completed with unhandled errors (errors
    under no error strategy), 2 for bad input (an invalid flow file, an
    unknown executor, a --save-job suffix no serializer claims, a store that
    cannot be opened), 130 on Ctrl-C and 143 on SIGTERM (the job is paused
    and, with --save-job, saved for 'routilux resume').
    """

    _setup_logging(verbose)
    if no_store and store_path:
        fail("--store and --no-store exclude each other")
    _check_save_path(save_job)
    params = parse_params_or_exit(param_pairs)
    flow, spec = load_flow_or_exit(flow_file)
    check_entry_params_or_exit(flow, spec, params)
    _apply_executor(flow, executor, spec.max_workers)
    assert spec.entry is not None
    store = None if no_store else _journal_into(flow, flow_file, spec, store_path)
    journal = f", store: {store.url}" if store is not None else ""
    _announce(f"Running flow '{flow.flow_id}' from {flow_file} "
              f"(entry: {spec.entry}, executor: {flow.execution_strategy}{journal})", as_json)
    # Imported after the first line: rich's live display and tables are most of its cost.
    from routilux_cli.runner import JobRunner

    console = err_console() if as_json else out_console()
    runner = JobRunner(flow=flow, flow_file=flow_file, console=console, as_json=as_json, save_job=save_job,
                       params={**spec.params, **params}, executor_override=executor)
    try:
        status = runner.run(spec.entry)
    finally:
        if store is not None:
            store.close()  # commits what the job journaled last
    runner.report()
    sys.exit(status)


@click.command("resume")
@click.argument("job", required=False)
@click.option("--flow", "flow_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A job file's flow file to rebuild the flow from (default: the one recorded in the job).")
@click.option("--save-job", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to save a job file's job when it ends or is interrupted again "
                   "(default: JOB itself).")
@store_option
@click.option("--all", "all_jobs", is_flag=True,
              help="Recover every unfinished job of the store whose process died.")
@timeout_option
@click.option("--json", "as_json", is_flag=True,
              help="Print a JSON summary on stdout (progress goes to stderr).")
@click.option("--verbose", "-v", is_flag=True,
              help="Log handler errors with their tracebacks, and the executor's own logs (dask), on stderr.")
def resume_command(job: str | None, flow_file: Path | None, save_job: Path | None, store: str | None,
                   all_jobs: bool, timeout: float, as_json: bool, verbose: bool) -> None:
    """Continue a job: a job file saved by 'routilux run --save-job', or a durable job of a store.

    JOB is a job file if that path exists (the flow is rebuilt from the flow
    file recorded in the job, or --flow; the job's pending activations run
    and the job file is updated with the final state), else the id of a job
    in the store. A paused job whose process is alive is asked to resume
    (waiting up to --timeout for it); a job whose process died is recovered
    here, from the flow file it recorded (refused if that file is gone or
    changed). --all recovers every such job of the store. Exit statuses as
    for 'routilux run'.
    """
    from routilux_cli.stored_resume import resume_from_store

    _setup_logging(verbose)
    if all_jobs and job is not None:
        fail("give a JOB or --all, not both")
    if not all_jobs and job is None:
        fail("missing JOB: a job file, or the id of a job in the store (or --all)")
    if job is not None and Path(job).exists():
        _resume_file(Path(job), flow_file, save_job, as_json)
    if flow_file is not None or save_job is not None:
        fail("--flow and --save-job are for job files; a job of a store resumes with the flow file it "
             "recorded")
    resume_from_store(job, store, all_jobs=all_jobs, as_json=as_json, timeout=timeout, verbose=verbose)


def _resume_file(job_file: Path, flow_file: Path | None, save_job: Path | None,
                 as_json: bool) -> NoReturn:
    """Continue the paused job saved in ``job_file`` in this process; exits with the run's status."""
    from routilux_cli.runner import EXIT_USAGE, SHARED_KEY, JobRunner, exit_status

    _check_save_path(save_job)
    job = load_job_or_exit(job_file)
    saved = job.shared_data.get(SHARED_KEY) or {}
    if flow_file is None:
        recorded = saved.get("flow_file")
        if not recorded:
            click.echo(f"{job_file}: the job does not record its flow file; pass --flow FLOW_FILE", err=True)
            sys.exit(EXIT_USAGE)
        flow_file = Path(recorded)
        if not flow_file.is_file():
            click.echo(f"{job_file}: the recorded flow file {flow_file} does not exist; "
                       "pass --flow FLOW_FILE", err=True)
            sys.exit(EXIT_USAGE)
    if job.status in ("completed", "failed", "cancelled"):
        click.echo(f"Job {job.job_id} is already {job.status}; nothing to resume.", err=True)
        sys.exit(exit_status(job.status))
    flow, spec = load_flow_or_exit(flow_file)
    _apply_executor(flow, saved.get("executor"), spec.max_workers)
    if flow.flow_id != job.flow_id:
        click.echo(f"{job_file}: the job belongs to flow {job.flow_id!r} but {flow_file} defines "
                   f"{flow.flow_id!r}", err=True)
        sys.exit(EXIT_USAGE)
    _announce(f"Resuming job {job.job_id} of flow '{flow.flow_id}' from {flow_file} "
              f"(status: {job.status}, pending activations: {len(job.pending_tasks)})", as_json)
    console = err_console() if as_json else out_console()
    runner = JobRunner(flow=flow, flow_file=flow_file, console=console, as_json=as_json,
                       save_job=save_job or job_file, params=dict(saved.get("params") or {}),
                       executor_override=saved.get("executor"))
    status = runner.resume(job)
    runner.report()
    sys.exit(status)


COMMANDS = [run_command, resume_command]
