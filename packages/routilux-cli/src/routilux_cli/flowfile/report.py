"""Collecting the problems of one flow document, each with its line."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from routilux_cli.flowfile.locations import Lines
from routilux_cli.flowfile.schema import Problem, did_you_mean

__all__ = ["Reporter", "error_text"]


class Reporter:
    """The problems found so far in a document, and where they are.

    The builder's sections report here instead of raising, so one pass
    reports everything that is wrong.
    """

    def __init__(self, lines: Lines) -> None:
        self.lines = lines
        self.problems: list[Problem] = []

    def problem(self, location: str, message: str) -> None:
        """Record ``message`` at ``location``, with the line of that location or of its nearest parent."""
        self.problems.append(Problem(location, message, self.lines.get(location)))

    def unknown_keys(self, value: Mapping[Any, Any], allowed: Sequence[str], location: str,
                     what: str = "allowed") -> None:
        """A problem for each key of ``value`` that is not in ``allowed``, with the closest allowed ones."""
        for key in value:
            if key not in allowed:
                where = f"{location}.{key}" if location else str(key)
                self.problem(where, f"unknown key {key!r}{did_you_mean(str(key), allowed)} "
                                    f"({what}: {', '.join(allowed)})")


def error_text(error: BaseException) -> str:
    """An exception as a problem message: the type is kept where the text alone says too little."""
    text = str(error)
    if isinstance(error, (ImportError, TypeError, AttributeError, KeyError)) or not text:
        return f"{type(error).__name__}: {text}"
    return text
