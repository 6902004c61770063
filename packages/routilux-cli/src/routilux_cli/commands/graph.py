"""``routilux graph FLOW --format mermaid|d2|dot|svg|png``."""

from __future__ import annotations

import sys
from pathlib import Path

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
def graph_command(flow_file: Path, fmt: str, output: Path | None) -> None:
    """Write the graph of a flow file: Mermaid, D2 or DOT text, or an SVG/PNG image through Graphviz.

    Exit status: 0; 1 when Graphviz is missing or fails, or the output cannot
    be written (one line on stderr); 2 for an invalid flow file.
    """
    from routilux_cli.graph import TEXT_FORMATS, render_image, render_text

    flow, _spec = load_flow_or_exit(flow_file)
    if fmt in TEXT_FORMATS:
        text = render_text(flow, fmt)
        if output is None:
            click.echo(text, nl=False)
            return
        _write_or_exit(output, text.encode("utf-8"))
        return
    try:
        image = render_image(flow, fmt)
    except RuntimeError as error:  # GraphvizMissing (how to install it), or dot's own failure
        click.echo(str(error), err=True)
        sys.exit(1)
    _write_or_exit(output or Path(f"{flow_file.stem}.{fmt}"), image)


def _write_or_exit(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` (parents created); one line on stderr and exit 1 if that fails."""
    from routilux.serialization import atomic_write_bytes

    try:
        # Atomic: a failed write leaves no half-written graph behind.
        atomic_write_bytes(target, data, fsync=False)
    except OSError as error:
        click.echo(f"cannot write the graph to {target}: {_reason(target, error)}", err=True)
        sys.exit(1)
    click.echo(f"Wrote {target}", err=True)


def _reason(target: Path, error: OSError) -> str:
    """Why ``target`` could not be written, in words (a parent that is a file reads as "File exists")."""
    for parent in target.parents:
        if parent.exists():
            if not parent.is_dir():
                return f"{parent} is not a directory"
            break
    reason = error.strerror or type(error).__name__
    # Name the directory that failed (mkdir), not the temporary file the atomic write used.
    if error.filename is not None and Path(error.filename) in target.parents:
        reason += f" ({error.filename})"
    return reason


COMMANDS = [graph_command]
