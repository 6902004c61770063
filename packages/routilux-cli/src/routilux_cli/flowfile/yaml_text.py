"""YAML text -> data and line numbers, parsed once and within the bounds of :mod:`.limits`.

The text is composed into nodes (by libyaml when PyYAML has it, else by
PyYAML's pure-Python parser), the node graph is checked, and only then
turned into Python values. The check comes first because the expensive part
of a "billion laughs" is expanding its aliases: composing it is linear in the
text, and so is the check, which counts each shared node's expanded size
once. The nodes keep their line numbers for :class:`~.locations.LineIndex`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from routilux.serialization import paused_gc
from routilux_cli.flowfile.limits import MAX_ALIAS_NODES, MAX_DEPTH, LimitExceeded, int_digits_limit
from routilux_cli.flowfile.locations import LineIndex

__all__ = ["HAVE_LIBYAML", "load_yaml", "syntax_error_text"]

HAVE_LIBYAML = bool(getattr(yaml, "__with_libyaml__", False))

# Above this size, loading pauses the cyclic garbage collector: it makes one node and one value
# per item and no garbage cycles, but the collector keeps walking the growing heap (with it
# running, 2 MB of small mappings, 20,000 routines, loaded 2.2 times slower; 10 MB of texts 1.25
# times). Small texts, the usual case, leave the collector alone.
_LARGE_TEXT = 1024 * 1024


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def _construct_int(loader: SafeConstructor, node: ScalarNode) -> int:
    try:
        return int(SafeConstructor.construct_yaml_int(loader, node))
    except ValueError:
        digits = sum(char.isdigit() for char in str(node.value))
        limit = int_digits_limit()
        if limit and digits > limit:  # Python's limit on converting long decimal strings (3.11+)
            raise LimitExceeded(f"an integer with {digits} digits; at most {limit} can be converted "
                                "(quote it to keep it as text)", _line(node)) from None
        raise _not_a(node, "an integer") from None
    except IndexError:  # an empty "!!int"
        raise _not_a(node, "an integer") from None


def _not_a(node: ScalarNode, what: str) -> ConstructorError:
    return ConstructorError(None, None, f"{node.value!r} (tagged {node.tag}) is not {what}", node.start_mark)


def _checked(construct: Any, what: str) -> Any:
    """PyYAML's constructor for a scalar type, with its bare Python errors turned into YAML errors.

    A value shaped like a date that is not one (month 13), or an explicit tag
    on the wrong text (``!!float abc``, ``!!bool maybe``), raises ValueError,
    KeyError, IndexError or AttributeError inside PyYAML; as a YAML error it
    is reported with its line like any other.
    """
    def checked(loader: SafeConstructor, node: ScalarNode) -> Any:
        try:
            return construct(loader, node)
        except (ValueError, KeyError, IndexError, AttributeError, TypeError):
            raise _not_a(node, what) from None

    return checked


class _PythonLoader(yaml.SafeLoader):
    """PyYAML's own parser, with the nesting bounded while composing (its composer recurses).

    A scalar is composed one level below its list or mapping, hence ``MAX_DEPTH + 1``;
    :func:`check_nodes` then applies the bound to lists and mappings exactly.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH + 1:
                mark = self.peek_event().start_mark
                raise LimitExceeded(_too_deep(), int(mark.line) + 1)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_LOADERS: list[type[SafeConstructor]] = [_PythonLoader]
if HAVE_LIBYAML:
    class _LibyamlLoader(yaml.CSafeLoader):
        """libyaml's parser (it refuses nesting beyond 1000 levels itself); PyYAML's constructor."""

    _LOADERS.insert(0, _LibyamlLoader)

_SCALARS = {
    "tag:yaml.org,2002:int": _construct_int,
    "tag:yaml.org,2002:float": _checked(SafeConstructor.construct_yaml_float, "a number"),
    "tag:yaml.org,2002:bool": _checked(SafeConstructor.construct_yaml_bool, "a boolean"),
    "tag:yaml.org,2002:timestamp": _checked(SafeConstructor.construct_yaml_timestamp, "a date or time"),
}
for _loader in _LOADERS:
    for _tag, _construct in _SCALARS.items():
        _loader.add_constructor(_tag, _construct)
del _loader, _tag, _construct


def _too_deep() -> str:
    return f"lists and mappings nested deeper than {MAX_DEPTH} levels"


def load_yaml(text: str, *, use_libyaml: bool = HAVE_LIBYAML) -> tuple[Any, LineIndex[Node]]:
    """Parse one YAML document: ``(data, lines)``.

    Args:
        text: The document.
        use_libyaml: Parse with libyaml (the default when PyYAML has it) or with
            PyYAML's pure-Python parser; the result is the same.

    Raises:
        LimitExceeded: nesting deeper than :data:`~.limits.MAX_DEPTH`, aliases adding
            more than :data:`~.limits.MAX_ALIAS_NODES` values, an alias inside its
            own anchor, or an integer too long to convert.
        yaml.YAMLError: the text is not valid YAML (see :func:`syntax_error_text`).
    """
    loader_class = _LOADERS[0] if use_libyaml and HAVE_LIBYAML else _PythonLoader
    loader = loader_class(text)
    with paused_gc() if len(text) >= _LARGE_TEXT else nullcontext():
        try:
            root = loader.get_single_node()
            if root is None:
                return None, _index(None)
            check_nodes(root)
            return loader.construct_document(root), _index(root)
        except yaml.MarkedYAMLError as error:
            if error.problem == "exceeded maximum nesting depth" and error.problem_mark is not None:
                raise LimitExceeded(_too_deep(), int(error.problem_mark.line) + 1) from None
            raise
        finally:
            loader.dispose()


def check_nodes(root: Node) -> None:
    """Refuse a node graph that nests too deep or whose aliases expand too far (see :func:`load_yaml`).

    One pass over the tree as written finds its depth and whether any node is
    reached twice (an alias). Only then does a second pass compute, bottom-up,
    each shared node's expanded size and depth once, and the whole document's.
    """
    seen: set[int] = set()
    written = 0  # values as written: each collection once, each scalar reference
    shared = False
    todo: list[tuple[Node, int]] = [(root, 1)]
    while todo:
        node, depth = todo.pop()
        if id(node) in seen:
            shared = True
            continue
        seen.add(id(node))
        written += 1
        if depth > MAX_DEPTH:
            raise LimitExceeded(_too_deep(), _line(node))
        for child in _children(node):
            if type(child) is ScalarNode:
                written += 1
            else:
                todo.append((child, depth + 1))
    if shared:
        _check_expansion(root, written)


def _children(node: Node) -> Iterator[Node]:
    if isinstance(node, SequenceNode):
        yield from node.value
    elif isinstance(node, MappingNode):
        for key, value in node.value:
            yield key
            yield value


def _check_expansion(root: Node, written: int) -> None:
    cap = written + MAX_ALIAS_NODES
    size: dict[int, int] = {}
    height: dict[int, int] = {}
    active = {id(root)}
    frames: list[tuple[Node, Iterator[Node]]] = [(root, _children(root))]
    while frames:
        node, children = frames[-1]
        for child in children:
            if type(child) is ScalarNode or id(child) in size:
                continue
            if id(child) in active:
                raise LimitExceeded("a YAML alias inside its own anchor (a value that contains itself)",
                                    _line(child))
            active.add(id(child))
            frames.append((child, _children(child)))
            break
        else:
            frames.pop()
            active.discard(id(node))
            total, deepest = 1, 0
            for child in _children(node):
                if type(child) is ScalarNode:
                    total += 1
                else:
                    total += size[id(child)]
                    deepest = max(deepest, height[id(child)])
            size[id(node)] = total
            height[id(node)] = deepest + 1
            if total > cap:
                raise LimitExceeded(f"YAML aliases expand the document by more than {MAX_ALIAS_NODES:,} "
                                    f"values (this one expands to {total:,})", _line(node))
            if deepest + 1 > MAX_DEPTH:
                raise LimitExceeded(f"{_too_deep()} once its aliases are expanded", _line(node))


def _index(root: Node | None) -> LineIndex[Node]:
    members: dict[int, dict[str, tuple[Node, Node]]] = {}

    def member(node: Node, key: str) -> tuple[int | None, Node] | None:
        if not isinstance(node, MappingNode):
            return None
        table = members.get(id(node))
        if table is None:
            table = {}
            for key_node, value_node in node.value:
                if isinstance(key_node, ScalarNode):
                    table.setdefault(str(key_node.value), (key_node, value_node))
            members[id(node)] = table
        found = table.get(key)
        return None if found is None else (_line(found[0]), found[1])

    def item(node: Node, index: int) -> tuple[int | None, Node] | None:
        if not isinstance(node, SequenceNode) or index >= len(node.value):
            return None
        child = node.value[index]
        return _line(child), child

    return LineIndex(root, member, item)


def syntax_error_text(error: yaml.YAMLError) -> tuple[str, int | None]:
    """``(message, line)`` for a YAML syntax error, without PyYAML's ``"<unicode string>"`` excerpts.

    The line is where the parser noticed the problem, except at the end of the
    text ("found unexpected end of stream"): a quote or bracket left open is
    then reported where it was opened.
    """
    if not isinstance(error, yaml.MarkedYAMLError):
        return f"invalid YAML: {error}".replace("\n", " "), None
    problem = error.problem or "syntax error"
    problem_mark, context_mark = error.problem_mark, error.context_mark
    parts = []
    line = None
    if problem_mark is not None:
        line = int(problem_mark.line) + 1
        parts.append(f"{problem} (line {line}, column {int(problem_mark.column) + 1})")
    else:
        parts.append(problem)
    if error.context:
        context = error.context
        if context_mark is not None:
            opened = int(context_mark.line) + 1
            context += f" that starts at line {opened}, column {int(context_mark.column) + 1}"
            if "end of stream" in problem or line is None:
                line = opened
        parts.append(context)
    return "invalid YAML: " + ", ".join(parts), line
