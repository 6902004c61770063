"""Reading a flow file: its text, parsed once as YAML or JSON, with lines for its problems."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from routilux_cli.flowfile.json_text import load_json
from routilux_cli.flowfile.limits import MAX_DOCUMENT_BYTES, LimitExceeded
from routilux_cli.flowfile.locations import Lines, NoLines
from routilux_cli.flowfile.schema import FlowFileRefused, PathLike, Problem, file_format
from routilux_cli.flowfile.yaml_text import load_yaml, syntax_error_text

__all__ = ["read_document"]


def read_document(path: PathLike) -> tuple[Any, Lines, list[Problem]]:
    """Parse a flow file: ``(data, lines, problems)``; data is None when it does not parse.

    ``lines.get(location)`` is the line of a location (``routines.clip``), looked
    up in the parsed document only when asked. A file that cannot be read or
    does not parse is one problem (with its line for syntax errors).

    Raises:
        FlowFileRefused: the file is larger than :data:`~.limits.MAX_DOCUMENT_BYTES`,
            nests deeper than :data:`~.limits.MAX_DEPTH`, has YAML aliases that
            expand beyond :data:`~.limits.MAX_ALIAS_NODES` values, or holds an
            integer too long for Python to convert.
    """
    file = Path(path)
    try:
        kind = file_format(file)
        size = file.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            raise LimitExceeded(_too_large(size))
        with file.open(encoding="utf-8-sig") as stream:
            # Bounded even when the size said nothing (a pipe, /dev/zero).
            text = stream.read(MAX_DOCUMENT_BYTES + 1)
        if len(text) > MAX_DOCUMENT_BYTES:
            raise LimitExceeded(_too_large(None))
    except LimitExceeded as error:
        raise _refused(file, error) from None
    except (OSError, ValueError) as error:  # ValueError: a bad suffix; UnicodeDecodeError
        return None, NoLines(), [Problem("", str(error))]
    return _parse(file, kind, text)


def _parse(file: Path, kind: str, text: str) -> tuple[Any, Lines, list[Problem]]:
    try:
        if kind == "json":
            try:
                data, lines = load_json(text)
            except json.JSONDecodeError as error:
                message = f"invalid JSON: {error.msg} (column {error.colno})"
                return None, NoLines(), [Problem("", message, error.lineno)]
        else:
            try:
                data, lines = load_yaml(text)
            except yaml.YAMLError as error:
                message, line = syntax_error_text(error)
                return None, NoLines(), [Problem("", message, line)]
    except LimitExceeded as error:
        raise _refused(file, error) from None
    return data, lines, []


def _refused(file: Path, error: LimitExceeded) -> FlowFileRefused:
    return FlowFileRefused(file, Problem("", f"not read: {error.message}", error.line))


def _too_large(size: int | None) -> str:
    limit = f"{MAX_DOCUMENT_BYTES:,} bytes ({MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB)"
    if size is None:
        return f"more than {limit}; flow files are read up to that size"
    return f"{size:,} bytes; flow files are read up to {limit}"
