"""Commands of the ``routilux`` group; each module exposes ``COMMANDS``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Tuple

import click
from rich.console import Console

if TYPE_CHECKING:
    from routilux import Flow
    from routilux_cli.flowfile import FlowFileSpec

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
        click.echo(str(error), err=True)
        sys.exit(2)
