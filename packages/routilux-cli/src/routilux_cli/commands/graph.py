"""``routilux graph FLOW --format mermaid|d2|dot|svg|png``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import click

from routilux_cli.commands import load_flow_or_exit

__all__ = ["COMMANDS"]


@click.command("graph")
@click.argument("flow_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "-f", "fmt", type=click.Choice(["mermaid", "d2", "dot", "svg", "png"]),
              default="mermaid", show_default=True, help="Text formats print; svg/png need Graphviz.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here instead of stdout (required for svg/png unless a default name is fine: "
                   "FLOW_NAME.svg / .png in the current directory).")
def graph_command(flow_file: Path, fmt: str, output: Optional[Path]) -> None:
    """Write the graph of a flow file: Mermaid, D2 or DOT text, or an SVG/PNG image through Graphviz."""
    from routilux_cli.graph import TEXT_FORMATS, GraphvizMissing, render_image, render_text

    flow, _spec = load_flow_or_exit(flow_file)
    if fmt in TEXT_FORMATS:
        text = render_text(flow, fmt)
        if output is None:
            click.echo(text, nl=False)
        else:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(text, encoding="utf-8")
            click.echo(f"Wrote {output}", err=True)
        return
    try:
        image = render_image(flow, fmt)
    except GraphvizMissing as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    except RuntimeError as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    target = output or Path(f"{flow_file.stem}.{fmt}")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(image)
    click.echo(f"Wrote {target}", err=True)


COMMANDS = [graph_command]
