"""``routilux plugins [--json]``: every plugin the registry knows, loaded or not."""

from __future__ import annotations

from typing import Any, Optional

import click

__all__ = ["COMMANDS"]


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print the plugin records as a JSON list.")
def plugins_command(as_json: bool) -> None:
    """List every plugin: built-ins and discovered ones, including failed and disabled ones.

    Exits with status 1 if the plugins cannot be used together (two of them
    provide the same name) or, with ROUTILUX_STRICT_PLUGINS=1, if one fails.
    """
    import json

    import attrs

    from routilux.plugins import PluginError, get_registry

    try:
        registry = get_registry()
        records = registry.plugins
    except PluginError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps([attrs.asdict(record) for record in records], indent=2))
    else:
        for record in records:
            click.echo(_format_record(attrs.asdict(record)))
    try:
        # Reading a map is what reports clashes between plugins.
        _ = registry.executors
    except PluginError as exc:
        raise click.ClickException(str(exc)) from exc


def _format_record(record: dict[str, Any]) -> str:
    def field(value: Optional[Any]) -> str:
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
        ("provides", field(record["provides"])),
    ]
    if record["error"]:
        rows.append(("error" if record["status"] == "error" else "reason", record["error"]))
    return "\n".join([f"{record['name']} [{record['status']}]"] + [f"  {k + ':':<14}{v}" for k, v in rows])


COMMANDS = [plugins_command]
