"""``routilux run FLOW`` and ``routilux resume JOB``."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any, Optional, Tuple

import click

from routilux_cli.commands import err_console, load_flow_or_exit, out_console
from routilux_cli.params import check_entry_params_or_exit, parse_params_or_exit

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


def _apply_executor(flow: Any, name: Optional[str], max_workers: int) -> None:
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


def _check_save_path(path: Optional[Path], option: str = "--save-job") -> None:
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


def _finish(runner: Any, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(runner.summary(), indent=2, ensure_ascii=False))
    else:
        runner.print_summary()


@click.command("run")
@click.argument("flow_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--param", "-p", "param_pairs", multiple=True, metavar="KEY=VALUE",
              help="An entry parameter (repeatable); overrides the flow file's entry params. "
                   "VALUE is read as YAML: 3, true, [a, b] and text all work.")
@click.option("--executor", metavar="NAME", help="Run with this registered executor instead of the file's.")
@click.option("--save-job", type=click.Path(dir_okay=False, path_type=Path),
              help="Save the job here when it ends or is interrupted (Ctrl-C, SIGTERM); the suffix picks "
                   "the serializer, and one that no serializer claims is refused before the run.")
@click.option("--json", "as_json", is_flag=True,
              help="Print a JSON summary on stdout (progress goes to stderr).")
@click.option("--verbose", "-v", is_flag=True,
              help="Log handler errors with their tracebacks, and the executor's own logs (dask), on stderr.")
def run_command(flow_file: Path, param_pairs: Tuple[str, ...], executor: Optional[str],
                save_job: Optional[Path], as_json: bool, verbose: bool) -> None:
    """Run the job of a flow file, with live progress and a summary.

    Exit status: 0 when the job completed with no unhandled error, 1 when it
    failed, was cancelled or completed with unhandled errors (errors under no
    error strategy), 2 for bad input (an invalid flow file, an unknown
    executor, a --save-job suffix no serializer claims), 130 on Ctrl-C and
    143 on SIGTERM (the job is paused and, with --save-job, saved for
    'routilux resume').
    """
    from routilux_cli.runner import JobRunner

    _setup_logging(verbose)
    _check_save_path(save_job)
    params = parse_params_or_exit(param_pairs)
    flow, spec = load_flow_or_exit(flow_file)
    check_entry_params_or_exit(flow, spec, params)
    _apply_executor(flow, executor, spec.max_workers)
    assert spec.entry is not None
    console = err_console() if as_json else out_console()
    runner = JobRunner(flow=flow, flow_file=flow_file, console=console, as_json=as_json, save_job=save_job,
                       params={**spec.params, **params}, executor_override=executor)
    status = runner.run(spec.entry)
    _finish(runner, as_json)
    sys.exit(status)


@click.command("resume")
@click.argument("job_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--flow", "flow_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The flow file to rebuild the flow from (default: the one recorded in the job).")
@click.option("--save-job", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to save the job when it ends or is interrupted again (default: JOB_FILE itself).")
@click.option("--json", "as_json", is_flag=True,
              help="Print a JSON summary on stdout (progress goes to stderr).")
@click.option("--verbose", "-v", is_flag=True,
              help="Log handler errors with their tracebacks, and the executor's own logs (dask), on stderr.")
def resume_command(job_file: Path, flow_file: Optional[Path], save_job: Optional[Path], as_json: bool,
                   verbose: bool) -> None:
    """Continue a job saved by 'routilux run --save-job' (after Ctrl-C or SIGTERM).

    The flow is rebuilt from the flow file recorded in the job (or --flow);
    the job's pending activations run and the job file is updated with the
    final state. Exit statuses as for 'routilux run'.
    """
    from routilux import JobState
    from routilux_cli.runner import EXIT_USAGE, SHARED_KEY, JobRunner, exit_status

    _setup_logging(verbose)
    _check_save_path(save_job)
    job = _load_job_or_exit(job_file)
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
    console = err_console() if as_json else out_console()
    runner = JobRunner(flow=flow, flow_file=flow_file, console=console, as_json=as_json,
                       save_job=save_job or job_file, params=dict(saved.get("params") or {}),
                       executor_override=saved.get("executor"))
    assert isinstance(job, JobState)
    status = runner.resume(job)
    _finish(runner, as_json)
    sys.exit(status)


def _load_job_or_exit(path: Path) -> Any:
    from routilux import JobState

    loader = getattr(JobState, "load", None)
    if loader is None:
        click.echo("This routilux-core cannot load jobs (JobState.load is missing).", err=True)
        sys.exit(2)
    try:
        return loader(str(path))
    except Exception as error:
        click.echo(f"{path}: cannot load the job: {type(error).__name__}: {error}", err=True)
        sys.exit(2)


COMMANDS = [run_command, resume_command]
