"""Locations of a flow document (``routines.clip.type``, ``connections[2].to``) and their lines.

A problem names its location; its line is looked up only then, in the
document that was parsed (YAML nodes or the JSON text), so a valid file
costs nothing here and a 10 MB file is not walked to number every value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Generic, Protocol, TypeVar

__all__ = ["LineIndex", "Lines", "MappingLines", "NoLines"]

C = TypeVar("C")


class Lines(Protocol):
    """What the builder needs of a parsed document: the line of a location, if known."""

    def get(self, location: str, default: int | None = None) -> int | None:
        """The 1-based line of ``location``, else of its nearest enclosing location that has one."""
        ...


class NoLines:
    """Lines of a document that has none (built in Python, not read from a file)."""

    def get(self, location: str, default: int | None = None) -> int | None:
        return default


class MappingLines:
    """Lines from a plain ``{location: line}`` mapping, falling back to the nearest enclosing location."""

    def __init__(self, marks: Mapping[str, int]) -> None:
        self._marks = marks

    def get(self, location: str, default: int | None = None) -> int | None:
        place = location
        while place:
            line = self._marks.get(place)
            if line is not None:
                return line
            cut = max(place.rfind("."), place.rfind("["))
            place = place[:cut] if cut > 0 else ""
        return default


class LineIndex(Generic[C]):
    """Looks locations up in a tree of containers, through two functions of the document's format.

    ``member(container, key)`` and ``item(container, index)`` return
    ``(line, child)`` or None. Keys may themselves contain ``.`` or ``[``
    (a routine id such as ``a.b`` is reported at ``routines.a.b``): each way
    of splitting the location is tried, the plain one first.
    """

    def __init__(self, root: C | None,
                 member: Callable[[C, str], tuple[int | None, C] | None],
                 item: Callable[[C, int], tuple[int | None, C] | None]) -> None:
        self._root = root
        self._member = member
        self._item = item

    def get(self, location: str, default: int | None = None) -> int | None:
        if self._root is None or not location:
            return default
        rest = location if location.startswith("[") else "." + location
        line = self._walk(self._root, rest, None)
        return default if line is None else line

    def _walk(self, container: C, rest: str, best: int | None) -> int | None:
        # Locations are a handful of steps long, so this recursion is shallow.
        if not rest:
            return best
        if rest.startswith("["):
            close = rest.find("]")
            if close < 0 or not rest[1:close].isdigit():
                return best
            found = self._item(container, int(rest[1:close]))
            if found is None:
                return best
            line, child = found
            return self._walk(child, rest[close + 1:], best if line is None else line)
        body = rest[1:]
        ends = [i for i, char in enumerate(body) if char in ".["] + [len(body)]
        for end in ends:
            found = self._member(container, body[:end])
            if found is not None:
                line, child = found
                return self._walk(child, body[end:], best if line is None else line)
        return best
