"""``routilux plugin new KIND NAME [--dir DIR]``: a new plugin distribution from the template."""

from __future__ import annotations

from pathlib import Path

import click

from routilux_cli.scaffold import KINDS

__all__ = ["COMMANDS", "plugin_group"]


@click.group("plugin")
def plugin_group() -> None:
    """Create a plugin distribution from routilux's template."""


@plugin_group.command("new")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("name")
@click.option("--dir", "destination", type=click.Path(file_okay=False, path_type=Path),
              help="The project folder to create (default: ./routilux-NAME); it must not exist or be empty.")
@click.option("--description", help="One line saying what the plugin does (pyproject.toml, README).")
def new_command(kind: str, name: str, destination: Path | None, description: str | None) -> None:
    """Render a complete plugin distribution of KIND named NAME.

    The distribution is routilux-NAME (package routilux_NAME): pyproject.toml with the
    `routilux` entry point, a plugin module with a small working example of KIND, a README,
    tests (routilux.testing's contract for KIND, and the plugin in a real flow) and a tox.ini.
    Needs copier: pip install 'routilux-cli[template]'.
    """
    from routilux_cli.scaffold import TemplateError, render_plugin

    try:
        target, answers, written = render_plugin(kind, name, destination, description)
    except TemplateError as error:
        raise click.UsageError(str(error)) from error
    registered = answers["plugin_name"]
    click.echo(f"Created {answers['project_name']} ({kind} plugin {registered!r}) in {target}:")
    for path in written:
        click.echo(f"  {path.as_posix()}")
    click.echo("Next:")
    click.echo(f"  cd {target}")
    click.echo("  python -m pip install -e '.[test]'")
    click.echo("  python -m pytest")
    click.echo(f"  routilux plugins        # lists {answers['entry_point_name']} with status ok")


COMMANDS = [plugin_group]
