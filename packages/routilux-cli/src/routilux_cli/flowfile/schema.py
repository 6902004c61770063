"""The vocabulary of flow files: the keys each section allows, problems, errors and the spec.

Everything else in :mod:`routilux_cli.flowfile` speaks in these terms: the reader
and the builder report :class:`Problem` values, the loaders raise
:class:`FlowFileError` (or :class:`FlowFileRefused` for a document the reader will
not even parse), and a loaded file is a :class:`~routilux.Flow` plus a
:class:`FlowFileSpec`.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

__all__ = [
    "CONNECTION_KEYS",
    "ENTRY_KEYS",
    "ENTRY_SLOT",
    "EXECUTOR_KEYS",
    "FLOW_FILE_SUFFIXES",
    "HANDLER_KEYS",
    "ROUTINE_KEYS",
    "SCHEMA_VERSION",
    "TOP_KEYS",
    "FlowFileError",
    "FlowFileRefused",
    "FlowFileSpec",
    "PathLike",
    "Problem",
    "did_you_mean",
    "file_format",
    "listing",
]

#: A file name as the flow-file functions take it.
PathLike: TypeAlias = str | os.PathLike[str]

FLOW_FILE_SUFFIXES = (".yaml", ".yml", ".json")
SCHEMA_VERSION = 1

TOP_KEYS = ("version", "flow_id", "description", "executor", "history_limit", "error_handler", "store",
            "routines", "connections", "entry")
ROUTINE_KEYS = ("type", "config", "error_handler", "executor", "description")
CONNECTION_KEYS = ("from", "to", "mapping", "param_mapping")
EXECUTOR_KEYS = ("name", "max_workers", "options")
HANDLER_KEYS = ("strategy", "max_retries", "retry_delay", "retry_backoff", "is_critical",
                "retryable_exceptions")
ENTRY_KEYS = ("routine", "params")

#: The slot of the entry routine that ``Flow.execute`` calls with the entry params.
ENTRY_SLOT = "trigger"


@dataclass(frozen=True)
class Problem:
    """One problem of a flow file: where (``routines.clip.type``), what, and the line if known."""

    location: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.location or "<file>"
        if self.line is not None:
            where += f" (line {self.line})"
        return f"{where}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"location": self.location, "line": self.line, "message": self.message}

    def format(self, path: PathLike | None) -> str:
        """The problem as one line in the compiler style ``flow.yaml:5: routines.clip.type: ...``."""
        where = "flow document" if path is None else str(path)
        if self.line is not None:
            where += f":{self.line}"
        location = f" {self.location}:" if self.location else ""
        return f"{where}:{location} {self.message}"


class FlowFileError(ValueError):
    """A flow file that cannot be used; ``problems`` lists everything wrong with it.

    With one problem the message is that problem on one line
    (``flow.yaml:3: invalid YAML: ...``); with several, a count line and one
    indented line per problem.
    """

    def __init__(self, path: PathLike | None, problems: Sequence[Problem]) -> None:
        self.path = None if path is None else Path(path)
        self.problems = list(problems)
        if len(self.problems) == 1:
            message = self.problems[0].format(self.path)
        else:
            name = str(self.path) if self.path is not None else "flow document"
            lines = [f"{len(self.problems)} problem(s) in {name}:"]
            lines += [f"  {problem}" for problem in self.problems]
            message = "\n".join(lines)
        super().__init__(message)


class FlowFileRefused(FlowFileError):
    """A document the reader refuses to parse: too large, nested too deep, or aliases that expand too far.

    Nothing in such a file can be checked, so it carries exactly one problem
    (which names the limit and, when known, the line) and its message is one
    line. ``routilux validate`` exits 2 for it, as for other unusable input.
    """

    def __init__(self, path: PathLike | None, problem: Problem) -> None:
        super().__init__(path, [problem])


@dataclass
class FlowFileSpec:
    """What a flow file says besides the Flow itself."""

    flow_id: str
    entry: str | None
    params: dict[str, Any] = field(default_factory=dict)
    executor: str = "sequential"
    max_workers: int = 1
    executor_options: dict[str, Any] = field(default_factory=dict)
    description: str | None = None
    #: the durable store ``routilux run`` journals into (``store:``; relative to the file)
    store: str | None = None
    path: Path | None = None
    document: dict[str, Any] = field(default_factory=dict)
    #: routine id -> the ``type`` written in the file
    routine_types: dict[str, str] = field(default_factory=dict)
    #: routine id -> ``(name, max_workers, options)`` of its own ``executor:`` (the others run on the flow's)
    routine_executors: dict[str, tuple[str, int, dict[str, Any]]] = field(default_factory=dict)


def did_you_mean(name: str, candidates: Sequence[str]) -> str:
    """``"; did you mean 'x'?"`` for the close matches of ``name``, or ``""`` when there are none."""
    matches = difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.5)
    if matches:
        return "; did you mean " + " or ".join(repr(m) for m in matches) + "?"
    return ""


def listing(candidates: Sequence[str], what: str) -> str:
    """``" (what: a, b, c)"``, or ``" (there are no what)"`` for an empty list."""
    names = sorted(candidates)
    if not names:
        return f" (there are no {what})"
    return f" ({what}: " + ", ".join(names) + ")"


def file_format(path: Path) -> str:
    """``"json"`` or ``"yaml"`` by the suffix of ``path``.

    Raises:
        ValueError: for any other suffix, naming the ones that work.
    """
    suffix = path.suffix.lower()
    if suffix == ".json":
        return "json"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    raise ValueError(f"{path}: unknown flow file suffix {path.suffix!r}; "
                     f"use one of {', '.join(FLOW_FILE_SUFFIXES)}")
