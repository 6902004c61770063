"""``-p/--param KEY=VALUE``: entry parameters given on the command line.

A VALUE is read as YAML (``3``, ``true``, ``[a, b]``, text) within the same
bounds as flow files, and a key the entry routine would drop is refused
before the run starts. Every problem is one line on stderr and exit status 2.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from routilux import Flow
    from routilux_cli.flowfile import FlowFileSpec

__all__ = [
    "EXIT_BAD_PARAM",
    "ParamError",
    "check_entry_params",
    "check_entry_params_or_exit",
    "parse_params",
    "parse_params_or_exit",
    "parse_value",
]

#: The exit status for a bad ``-p`` (a usage error, as for an invalid flow file).
EXIT_BAD_PARAM = 2


class ParamError(ValueError):
    """A ``-p`` that cannot be used; the message is one line naming the key."""


def parse_value(raw: str) -> Any:
    """One VALUE read as YAML; text that is not valid YAML stays text (``-p 'q=a: b'``).

    Raises:
        LimitExceeded: nesting deeper than the flow-file bound, aliases that
            expand too far, or an integer too long to convert.
    """
    import yaml

    from routilux_cli.flowfile.yaml_text import load_yaml

    if not raw.strip():
        return ""
    try:
        value, _lines = load_yaml(raw)
    except yaml.YAMLError:
        return raw
    return value


def parse_params(pairs: Iterable[str]) -> dict[str, Any]:
    """``("n=3", "name=Ada")`` -> ``{"n": 3, "name": "Ada"}``.

    Raises:
        ParamError: a pair without ``=`` or key, or a value beyond the flow-file bounds.
    """
    from routilux_cli.flowfile.limits import LimitExceeded

    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            shown = pair if len(pair) <= 60 else pair[:57] + "..."
            raise ParamError(f"--param {shown!r} is not KEY=VALUE")
        try:
            params[key] = parse_value(raw)
        except LimitExceeded as error:
            raise ParamError(f"--param {key}: not read: {error.message}") from None
    return params


def check_entry_params(flow: Flow, entry: str, file_params: Mapping[str, Any],
                       params: Mapping[str, Any]) -> None:
    """Refuse a ``-p`` key that the entry routine's ``trigger`` handler would never see.

    ``file_params`` are the flow file's own entry params, which ``params``
    override; the run passes both, and the engine drops the keys a handler
    with named parameters does not name.

    Raises:
        ParamError: naming the first such key, what the entry takes and the closest name.
    """
    from routilux_cli.flowfile.routine_shape import parameter_problems
    from routilux_cli.flowfile.schema import ENTRY_SLOT

    routine = flow.routines[entry]
    dropped = parameter_problems(routine, entry, ENTRY_SLOT, list({**file_params, **params}))
    if dropped:
        key, message = dropped[0]
        source = "--param" if key in params else "entry param"
        raise ParamError(f"{source} {key}: {message}")


def _exit(error: ParamError) -> NoReturn:
    click.echo(str(error), err=True)
    sys.exit(EXIT_BAD_PARAM)


def parse_params_or_exit(pairs: Iterable[str]) -> dict[str, Any]:
    """:func:`parse_params`; on a bad pair, its one-line message on stderr and exit status 2."""
    try:
        return parse_params(pairs)
    except ParamError as error:
        _exit(error)


def check_entry_params_or_exit(flow: Flow, spec: FlowFileSpec, params: Mapping[str, Any]) -> None:
    """:func:`check_entry_params` for the run of a loaded flow file; exit status 2 when refused."""
    if spec.entry is None:
        return
    try:
        check_entry_params(flow, spec.entry, spec.params, params)
    except ParamError as error:
        _exit(error)
