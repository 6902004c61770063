"""The bounds within which flow documents (files and ``-p`` values) are parsed.

A flow file is input from anywhere: a YAML "billion laughs" (a few lines of
aliases that expand to hundreds of millions of values), 20,000 nested
brackets, or a 5,000-digit integer must end in one clear message, never in a
hang, a ``RecursionError`` or Python's integer-conversion ``ValueError``.
Real flow files are far inside every bound.
"""

from __future__ import annotations

import sys

__all__ = [
    "MAX_ALIAS_NODES",
    "MAX_DEPTH",
    "MAX_DOCUMENT_BYTES",
    "LimitExceeded",
    "int_digits_limit",
]

#: Largest flow file read, in bytes (64 MiB; a 10 MB file validates in about a second).
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024

#: Deepest nesting of lists and mappings in a document (the top-level mapping is level 1).
MAX_DEPTH = 100

#: Most values that YAML aliases (``*name``, and ``<<: *name`` merges) may add to a document
#: when they are expanded. Reusing a config block a few times costs a handful each.
MAX_ALIAS_NODES = 100_000


class LimitExceeded(ValueError):
    """A document beyond one of the bounds above; ``line`` is where, when known (1-based)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def int_digits_limit() -> int:
    """Python's limit on the digits of a decimal integer it converts (0: none; Python < 3.11 has none)."""
    getter = getattr(sys, "get_int_max_str_digits", None)
    return int(getter()) if getter is not None else 0
