"""The ``routilux`` command: a click group whose commands load only when they are used.

:data:`COMMANDS` maps each command name to where it lives and its one-line help, so
``routilux --help`` and ``routilux --version`` import neither the command modules nor rich,
yaml, routilux or any plugin (a test checks this). A new command of routilux-cli is a module
exposing a click command plus one :class:`~routilux_cli.lazy_group.LazyCommand` here; its
short help must be the first sentence of its docstring (also checked by a test).

Other distributions add commands through the entry-point group :data:`ENTRY_POINT_GROUP`::

    [project.entry-points."routilux.cli_commands"]
    serve = "routilux_server.cli:serve"

Commands import what they need inside their body.
"""

from __future__ import annotations

import click

from routilux_cli.lazy_group import LazyCommand, LazyGroup

__all__ = ["COMMANDS", "ENTRY_POINT_GROUP", "main"]

#: Entry-point group through which other distributions add ``routilux`` commands.
ENTRY_POINT_GROUP = "routilux.cli_commands"

#: routilux-cli's own commands.
COMMANDS: tuple[LazyCommand, ...] = (
    LazyCommand("run", "routilux_cli.commands.run:run_command",
                "Run the job of a flow file, with live progress and a summary."),
    LazyCommand("resume", "routilux_cli.commands.run:resume_command",
                "Continue a job: a job file saved by 'routilux run --save-job', or a durable job of a "
                "store."),
    LazyCommand("jobs", "routilux_cli.commands.jobs:jobs_group",
                "List the durable jobs of a store, newest first; 'routilux jobs prune' deletes old ones."),
    LazyCommand("pause", "routilux_cli.commands.control:pause_command",
                "Pause a durable job that runs in another process."),
    LazyCommand("cancel", "routilux_cli.commands.control:cancel_command",
                "Cancel a durable job that runs in another process."),
    LazyCommand("validate", "routilux_cli.commands.validate:validate_command",
                "Check a flow file and report every problem at once, each with its location."),
    LazyCommand("graph", "routilux_cli.commands.graph:graph_command",
                "Write the graph of a flow file: Mermaid, D2 or DOT text, or an SVG/PNG image "
                "through Graphviz."),
    LazyCommand("inspect", "routilux_cli.commands.inspect:inspect_command",
                "Show a job: status, per-routine states, errors and execution history."),
    LazyCommand("plugins", "routilux_cli.commands.plugins:plugins_command",
                "List every plugin: built-ins and discovered ones, including failed and disabled ones."),
    LazyCommand("describe", "routilux_cli.commands.describe:describe",
                "Show what a routine type takes: slots, events, config, error handler and docs."),
    LazyCommand("plugin", "routilux_cli.commands.plugin_template:plugin_group",
                "Create a plugin distribution from routilux's template."),
)


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from routilux_cli import __version__
    from routilux_cli.installed import distribution_version

    # The installed metadata, read without importing routilux (that costs ~150 ms).
    core_version = distribution_version("routilux-core")
    if core_version is None:  # not installed as a distribution (a source tree on sys.path)
        import routilux

        core_version = routilux.__version__
    click.echo(f"routilux {core_version} (routilux-cli {__version__})")
    ctx.exit()


@click.group(name="routilux", cls=LazyGroup, lazy_commands=COMMANDS, entry_point_group=ENTRY_POINT_GROUP)
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the routilux version and exit.")
def main() -> None:
    """routilux: event-driven workflows. Run, resume, check, draw and inspect flow files and their jobs."""
