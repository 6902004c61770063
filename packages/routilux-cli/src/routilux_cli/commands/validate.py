"""``routilux validate FLOW``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

__all__ = ["COMMANDS"]


@click.command("validate")
@click.argument("flow_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the problems as a JSON list.")
def validate_command(flow_file: Path, as_json: bool) -> None:
    """Check a flow file and report every problem at once, each with its location.

    Exit status: 0 when the file is valid, 1 when it has problems, 2 when it
    is not read at all because it is beyond the reader's limits (too large,
    nested too deep, YAML aliases that expand too far): one line on stderr.
    """
    from routilux_cli.flowfile import FlowFileRefused, validate_flow_file

    try:
        problems = validate_flow_file(flow_file)
    except FlowFileRefused as refused:
        click.echo(str(refused), err=True)
        sys.exit(2)
    if as_json:
        click.echo(json.dumps({"flow_file": str(flow_file), "valid": not problems,
                               "problems": [p.to_dict() for p in problems]}, indent=2, ensure_ascii=False))
    elif problems:
        click.echo(f"{flow_file}: {len(problems)} problem(s)")
        for problem in problems:
            click.echo(f"  {problem.format(flow_file)}")
    else:
        click.echo(f"{flow_file}: valid")
    sys.exit(1 if problems else 0)


COMMANDS = [validate_command]
