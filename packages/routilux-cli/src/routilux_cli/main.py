"""The ``routilux`` command: a click group whose commands live in separate modules.

Each module named in :data:`COMMAND_MODULES` exposes ``COMMANDS``, a list of
click commands added to :func:`main`; a new command (for example ``plugins``)
is a new module added to that list. Commands import what they need inside
their body so ``routilux --help`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Tuple

import click

__all__ = ["COMMAND_MODULES", "main"]

#: Modules whose ``COMMANDS`` are added to the group, in this order.
COMMAND_MODULES: Tuple[str, ...] = (
    "routilux_cli.commands.run",
    "routilux_cli.commands.validate",
    "routilux_cli.commands.graph",
    "routilux_cli.commands.inspect",
    "routilux_cli.commands.plugins",
)


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from routilux import __version__ as core_version
    from routilux_cli import __version__

    click.echo(f"routilux {core_version} (routilux-cli {__version__})")
    ctx.exit()


@click.group(name="routilux")
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the routilux version and exit.")
def main() -> None:
    """routilux: event-driven workflows. Run, resume, check, draw and inspect flow files."""


def _register(group: click.Group) -> None:
    for name in COMMAND_MODULES:
        module = importlib.import_module(name)
        for command in module.COMMANDS:
            group.add_command(command)


_register(main)
