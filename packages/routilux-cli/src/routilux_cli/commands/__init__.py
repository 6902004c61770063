"""Commands of the ``routilux`` group; each module exposes ``COMMANDS``.

Nothing here imports rich, routilux or the flow-file package at import time: a
command pays for them only when it renders output or loads a flow, so
``routilux run`` can print its first line before the live display is imported.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

import click

from routilux_cli.exit_codes import EXIT_USAGE

if TYPE_CHECKING:
    from rich.console import Console

    from routilux import Flow, JobState
    from routilux_cli.flowfile import FlowFileError, FlowFileSpec

__all__ = ["err_console", "fail", "load_flow_or_exit", "load_job_or_exit", "out_console"]


def _console(stream: TextIO) -> Console:
    from rich.console import Console

    return Console(file=stream, highlight=False, soft_wrap=False)


def out_console() -> Console:
    """A rich console on stdout, without markup or highlighting surprises."""
    return _console(sys.stdout)


def err_console() -> Console:
    """A rich console on stderr, set up as :func:`out_console`."""
    return _console(sys.stderr)


def fail(message: str, status: int = EXIT_USAGE) -> NoReturn:
    """Print ``routilux: <message>`` (one line) on stderr and exit with ``status``.

    Bad input (an unknown job id, a store that cannot be opened, a changed flow
    file) is :data:`~routilux_cli.exit_codes.EXIT_USAGE`; a valid request that the
    job's status or owner does not allow now (pausing a completed job) is
    :data:`~routilux_cli.exit_codes.EXIT_FAILED`.
    """
    click.echo(f"routilux: {message}", err=True)
    sys.exit(status)


def load_flow_or_exit(path: Path) -> tuple[Flow, FlowFileSpec]:
    """``load_flow_file(path)``; on problems, print them all on stderr and exit with status 2."""
    from routilux_cli.flowfile import FlowFileError, load_flow_file

    try:
        return load_flow_file(path)
    except FlowFileError as error:
        click.echo(str(_with_install_hints(error)), err=True)
        sys.exit(2)


def load_job_or_exit(path: Path) -> JobState:
    """The job saved in ``path``; if it cannot be loaded, say why on stderr and exit with status 2."""
    from routilux import JobState

    loader = getattr(JobState, "load", None)
    if loader is None:
        click.echo("This routilux-core cannot load jobs (JobState.load is missing).", err=True)
        sys.exit(2)
    try:
        job: JobState = loader(str(path))
    except Exception as error:
        click.echo(f"{path}: cannot load the job: {type(error).__name__}: {error}", err=True)
        sys.exit(2)
    return job


def _with_install_hints(error: FlowFileError) -> FlowFileError:
    """``error``, with "pip install <distribution>" added to an unknown executor that a known one provides.

    The flow file names the executor; the registry only knows installed ones,
    so its problem says "unknown executor 'dask'" without saying where that
    executor comes from.
    """
    import dataclasses

    from routilux.plugins import PluginError, get_registry
    from routilux_cli.flowfile import FlowFileError
    from routilux_cli.plugin_hints import PROVIDERS, install_hint

    try:
        installed = set(get_registry().executors)
    except PluginError:
        return error
    missing = [name for kind, name in PROVIDERS if kind == "executor" and name not in installed]
    problems = []
    changed = False
    for problem in error.problems:
        for name in missing:
            if (problem.location in ("executor", "executor.name") and "pip install" not in problem.message
                    and f"unknown executor {name!r}" in problem.message):
                hint = install_hint("executor", name)
                problem = dataclasses.replace(problem, message=f"{problem.message}; {hint}")
                changed = True
        problems.append(problem)
    return FlowFileError(error.path, problems) if changed else error
