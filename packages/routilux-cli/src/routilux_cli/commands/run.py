"""``routilux run FLOW`` and ``routilux resume JOB``."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

import click

from routilux_cli.commands import err_console, load_flow_or_exit, out_console

__all__ = ["COMMANDS", "parse_params"]


def parse_params(pairs: Tuple[str, ...]) -> Dict[str, Any]:
    """``("n=3", "name=Ada")`` → ``{"n": 3, "name": "Ada"}``; values are read as YAML scalars/lists."""
    import yaml

    params: Dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--param")
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        params[key] = value
    return params


def _setup_logging(verbose: bool) -> None:
    # Handler errors are reported in the summary; -v also logs them (with tracebacks) on stderr.
    logging.basicConfig(level=logging.WARNING if verbose else logging.CRITICAL, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")


def _apply_executor(flow: Any, name: Optional[str], max_workers: int) -> None:
    if name is None or name == flow.execution_strategy:
        return
    try:
        flow.set_execution_strategy(name, max_workers=max_workers if max_workers > 1 else None)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--executor") from error


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
              help="Save the job here when it ends or is interrupted (Ctrl-C); the suffix picks the format.")
@click.option("--json", "as_json", is_flag=True,
              help="Print a JSON summary on stdout (progress goes to stderr).")
@click.option("--verbose", "-v", is_flag=True, help="Log handler errors with their tracebacks on stderr.")
def run_command(flow_file: Path, param_pairs: Tuple[str, ...], executor: Optional[str],
                save_job: Optional[Path], as_json: bool, verbose: bool) -> None:
    """Run the job of a flow file, with live progress and a summary.

    Exit status: 0 when the job completed, 1 when it failed or was cancelled,
    2 for an invalid flow file, 130 when interrupted with Ctrl-C (the job is
    paused and, with --save-job, saved for 'routilux resume').
    """
    from routilux_cli.runner import JobRunner

    _setup_logging(verbose)
    params = parse_params(param_pairs)
    flow, spec = load_flow_or_exit(flow_file)
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
@click.option("--verbose", "-v", is_flag=True, help="Log handler errors with their tracebacks on stderr.")
def resume_command(job_file: Path, flow_file: Optional[Path], save_job: Optional[Path], as_json: bool,
                   verbose: bool) -> None:
    """Continue a job saved by 'routilux run --save-job' (after Ctrl-C).

    The flow is rebuilt from the flow file recorded in the job (or --flow);
    the job's pending activations run and the job file is updated with the
    final state. Exit statuses as for 'routilux run'.
    """
    from routilux import JobState
    from routilux_cli.runner import EXIT_USAGE, SHARED_KEY, JobRunner, exit_status

    _setup_logging(verbose)
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
