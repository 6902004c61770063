"""JSON text -> data and line numbers, parsed once (by the C decoder) and within :mod:`.limits`.

Lines are found only for the locations that have a problem, by stepping
through the text from the top with the decoder's own scanner: the members
of each object on the way are indexed once, and values off the path are
skipped at C speed.
"""

from __future__ import annotations

import bisect
import json
import re
from typing import Any

from routilux_cli.flowfile.limits import MAX_DEPTH, LimitExceeded, int_digits_limit
from routilux_cli.flowfile.locations import LineIndex

__all__ = ["load_json"]

_WHITESPACE = re.compile(r"[ \t\n\r]*")
# The tokens that matter for nesting and long numbers; strings are matched whole so that
# brackets and digits inside them do not count.
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]|-?[0-9][0-9.eE+-]*')


def load_json(text: str) -> tuple[Any, LineIndex[int]]:
    """Parse a JSON document: ``(data, lines)``.

    Raises:
        LimitExceeded: nesting deeper than :data:`~.limits.MAX_DEPTH`, or an integer
            too long for Python to convert.
        json.JSONDecodeError: the text is not valid JSON.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise
    except RecursionError:  # the C decoder's own guard, far beyond MAX_DEPTH
        raise LimitExceeded(_too_deep(), _line_of_depth(text)) from None
    except ValueError:  # the only other one: a decimal integer longer than Python converts
        raise _long_integer(text) from None
    if _depth(data) > MAX_DEPTH:
        raise LimitExceeded(_too_deep(), _line_of_depth(text))
    return data, _JsonLines(text).index()


def _too_deep() -> str:
    return f"lists and mappings nested deeper than {MAX_DEPTH} levels"


def _depth(data: Any) -> int:
    """How deep lists and mappings nest in ``data`` (0 for a scalar); iterative, JSON has no sharing."""
    deepest = 0
    todo: list[tuple[Any, int]] = [(data, 1)]
    while todo:
        value, depth = todo.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
        if children is None:
            continue
        if depth > deepest:
            deepest = depth
            if deepest > MAX_DEPTH:
                break
        todo.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _line_of_depth(text: str) -> int | None:
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return _line_at(text, match.start())
        elif token in "]}":
            depth -= 1
    return None


def _long_integer(text: str) -> LimitExceeded:
    limit = int_digits_limit()
    for match in _TOKENS.finditer(text):
        token = match.group()
        digits = token.lstrip("-")
        if digits.isdigit() and len(digits) > limit > 0:
            return LimitExceeded(f"an integer with {len(digits)} digits; at most {limit} can be converted "
                                 "(quote it to keep it as text)", _line_at(text, match.start()))
    return LimitExceeded(f"an integer longer than the {limit} digits Python converts")


class _JsonLines:
    """Containers are offsets of their ``{`` or ``[`` in the text."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._decoder = json.JSONDecoder()
        self._newlines: list[int] | None = None
        self._objects: dict[int, dict[str, tuple[int, int]]] = {}
        self._arrays: dict[int, list[int]] = {}

    def index(self) -> LineIndex[int]:
        start = _WHITESPACE.match(self._text, 0)
        return LineIndex(start.end() if start else 0, self._member, self._item)

    def _line(self, offset: int) -> int:
        if self._newlines is None:
            self._newlines = [m.start() for m in re.finditer("\n", self._text)]
        return bisect.bisect_left(self._newlines, offset) + 1

    def _skip(self, offset: int) -> int:
        return _WHITESPACE.match(self._text, offset).end()  # type: ignore[union-attr]

    def _value_end(self, offset: int) -> int:
        return int(self._decoder.raw_decode(self._text, offset)[1])

    def _member(self, offset: int, key: str) -> tuple[int | None, int] | None:
        if self._text.startswith("{", offset) and offset not in self._objects:
            members: dict[str, tuple[int, int]] = {}
            position = self._skip(offset + 1)
            while self._text.startswith('"', position):
                name, after = json.decoder.scanstring(self._text, position + 1)  # type: ignore[attr-defined]
                value = self._skip(self._skip(after) + 1)  # past the ':'
                members.setdefault(name, (position, value))
                position = self._skip(self._value_end(value))
                if not self._text.startswith(",", position):
                    break
                position = self._skip(position + 1)
            self._objects[offset] = members
        found = self._objects.get(offset, {}).get(key)
        return None if found is None else (self._line(found[0]), found[1])

    def _item(self, offset: int, index: int) -> tuple[int | None, int] | None:
        if self._text.startswith("[", offset) and offset not in self._arrays:
            items: list[int] = []
            position = self._skip(offset + 1)
            while not self._text.startswith("]", position) and position < len(self._text):
                items.append(position)
                position = self._skip(self._value_end(position))
                if not self._text.startswith(",", position):
                    break
                position = self._skip(position + 1)
            self._arrays[offset] = items
        items = self._arrays.get(offset, [])
        if index >= len(items):
            return None
        return self._line(items[index]), items[index]
