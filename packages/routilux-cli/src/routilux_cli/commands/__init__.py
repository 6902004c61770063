"""Commands of the ``routilux`` group; each module exposes ``COMMANDS``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Tuple

import click
from rich.console import Console

if TYPE_CHECKING:
    from routilux import Flow
    from routilux_cli.flowfile import FlowFileError, FlowFileSpec

__all__ = ["err_console", "load_flow_or_exit", "out_console"]


def out_console() -> Console:
    """stdout, without markup or highlighting surprises."""
    return Console(file=sys.stdout, highlight=False, soft_wrap=False)


def err_console() -> Console:
    return Console(file=sys.stderr, highlight=False, soft_wrap=False)


def load_flow_or_exit(path: Path) -> Tuple["Flow", "FlowFileSpec"]:
    """``load_flow_file(path)``; on problems, print them all on stderr and exit with status 2."""
    from routilux_cli.flowfile import FlowFileError, load_flow_file

    try:
        return load_flow_file(path)
    except FlowFileError as error:
        click.echo(str(_with_install_hints(error)), err=True)
        sys.exit(2)


def _with_install_hints(error: "FlowFileError") -> "FlowFileError":
    """``error``, with "pip install <distribution>" added to an unknown executor that a known one provides.

    The flow file names the executor; the registry only knows installed ones,
    so its problem says "unknown executor 'dask'" without saying where that
    executor comes from.
    """
    import dataclasses

    from routilux.plugins import PluginError, get_registry
    from routilux_cli.flowfile import FlowFileError  # noqa: F811 (the annotation's import is for type checkers)
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
