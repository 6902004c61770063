"""``routilux plugins [--json]``: every plugin the registry knows, loaded or not."""

from __future__ import annotations

import sys
from typing import Any

import click

__all__ = ["COMMANDS", "plugins_command"]


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print the plugin records as a JSON list.")
def plugins_command(as_json: bool) -> None:
    """List every plugin: built-ins and discovered ones, including failed and disabled ones.

    Each name a plugin provides is shown with its description. With --json,
    each record has "provides" (the "<kind>:<name>" keys) and "descriptions"
    (key -> description).

    Exits with status 1 if the plugins cannot be used together (two of them
    provide the same name), with ROUTILUX_STRICT_PLUGINS=1 if one fails, and
    if the other project's 'routilux' distribution is installed (reported on
    stderr: it overwrites routilux-core's files).
    """
    import json
    import warnings

    import attrs

    from routilux_cli.foreign_routilux import foreign_routilux_report

    foreign = foreign_routilux_report()
    if foreign is not None:
        click.echo(foreign, err=True)
    try:
        with warnings.catch_warnings():
            if foreign is not None:  # said above, in more detail than core's import-time warning
                warnings.filterwarnings("ignore", message="the distribution 'routilux' ")
            from routilux.plugins import PluginError, get_registry
    except Exception as exc:
        if foreign is None:
            raise
        raise click.ClickException(f"cannot list the plugins: importing routilux.plugins failed "
                                   f"({type(exc).__name__}: {exc}), see the warning above") from exc

    try:
        registry = get_registry()
        records = [_as_dict(attrs.asdict(record)) for record in registry.plugins]
    except PluginError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(records, indent=2))
    else:
        for record in records:
            click.echo(_format_record(record))
    try:
        # Reading a map is what reports clashes between plugins.
        _ = registry.executors
    except PluginError as exc:
        raise click.ClickException(str(exc)) from exc
    if foreign is not None:
        sys.exit(1)


def _as_dict(record: dict[str, Any]) -> dict[str, Any]:
    """A record for output: ``descriptions`` keyed by what they describe (in ``provides`` order)."""
    record["descriptions"] = dict(zip(record["provides"], record["descriptions"]))
    return record


def _format_record(record: dict[str, Any]) -> str:
    def field(value: Any | None) -> str:
        if isinstance(value, (list, tuple)):
            return ", ".join(value) or "-"
        return "-" if value is None else str(value)

    origin = field(record["distribution"])
    if record["version"]:
        origin += f" {record['version']}"
    rows = [
        ("distribution", origin),
        ("entry point", field(record["entry_point"])),
        ("hooks", field(record["hooks"])),
    ]
    lines = [f"{record['name']} [{record['status']}]"] + [f"  {k + ':':<14}{v}" for k, v in rows]
    lines.extend(_provides_lines(record["descriptions"]))
    if record["error"]:
        label = "error" if record["status"] == "error" else "reason"
        lines.append(f"  {label + ':':<14}{record['error']}")
    return "\n".join(lines)


def _provides_lines(descriptions: dict[str, str]) -> list[str]:
    """``provides:`` then one name per line, its description beside it."""
    if not descriptions:
        return [f"  {'provides:':<14}-"]
    width = max(len(key) for key in descriptions)
    lines = []
    for index, (key, description) in enumerate(descriptions.items()):
        label = "provides:" if index == 0 else ""
        text = f"{key:<{width}}  {description}" if description else key
        lines.append(f"  {label:<14}{text}".rstrip())
    return lines


COMMANDS = [plugins_command]
