"""The restricted expression evaluator behind string conditions and predicates.

Routing conditions and filter predicates may be written as strings such as
``"data.get('priority') == 'high'"``. They come from configuration and flow
files, so they are never handed to Python's ``eval``: they run on
:mod:`simpleeval`, which walks the AST itself. On top of simpleeval's own
guards this module

* parses and checks every expression once, when it is defined, so a typo is a
  ``ValueError`` naming the expression instead of a route that silently never
  matches;
* allows only the names ``data``, ``config`` and ``stats`` (plus comprehension
  variables) and the functions in :data:`SAFE_FUNCTIONS`;
* rejects any attribute whose name starts with an underscore (so no dunder
  access), lambdas, assignment expressions and imports.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from typing import Any

import simpleeval  # type: ignore[import-untyped]  # ships no type information

#: The names an expression can read. ``stats`` is always an empty dict; it is
#: kept because conditions written for the reference implementation use it.
EXPRESSION_NAMES: frozenset[str] = frozenset({"data", "config", "stats"})


def _checked_attribute_name(name: Any) -> str:
    if not isinstance(name, str):
        raise TypeError(f"attribute name must be a string, got {type(name).__name__}")
    if name.startswith("_"):
        raise ValueError(f"access to attribute {name!r} is not allowed (names starting with '_' are private)")
    return name


def _safe_getattr(obj: Any, name: str, *default: Any) -> Any:
    """``getattr`` that refuses private and dunder names."""
    return getattr(obj, _checked_attribute_name(name), *default)


def _safe_hasattr(obj: Any, name: str) -> bool:
    """``hasattr`` that refuses private and dunder names."""
    return hasattr(obj, _checked_attribute_name(name))


def _safe_isinstance(obj: Any, classinfo: Any) -> bool:
    # A wrapper rather than the builtin because simpleeval refuses the builtin
    # outright; the only classes an expression can reach are the safe ones below.
    return isinstance(obj, classinfo)


#: The functions an expression can call, by name.
SAFE_FUNCTIONS: Mapping[str, Callable[..., Any]] = {
    "isinstance": _safe_isinstance,
    "dict": dict,
    "list": list,
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "len": len,
    "getattr": _safe_getattr,
    "hasattr": _safe_hasattr,
}

# Node types that have no business in a condition even where simpleeval would
# reject them later: rejecting them up front gives one clear message.
_FORBIDDEN_NODES: dict[type, str] = {
    ast.Lambda: "lambda expressions",
    ast.NamedExpr: "assignment expressions (:=)",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}


def _invalid(expression: str, reason: str) -> ValueError:
    return ValueError(f"Invalid expression {expression!r}: {reason}")


def _comprehension_names(tree: ast.AST) -> frozenset[str]:
    return frozenset(
        node.id
        for comp in ast.walk(tree)
        if isinstance(comp, ast.comprehension)
        for node in ast.walk(comp.target)
        if isinstance(node, ast.Name)
    )


def _check(expression: str, tree: ast.Expression) -> None:
    known = EXPRESSION_NAMES | SAFE_FUNCTIONS.keys() | _comprehension_names(tree)
    for node in ast.walk(tree):
        forbidden = _FORBIDDEN_NODES.get(type(node))
        if forbidden:
            raise _invalid(expression, f"{forbidden} are not allowed")
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            raise _invalid(expression, f"access to attribute {node.attr!r} is not allowed")
        if isinstance(node, ast.Name) and node.id not in known:
            raise _invalid(
                expression,
                f"unknown name {node.id!r}; available names are {', '.join(sorted(EXPRESSION_NAMES))} "
                f"and the functions {', '.join(SAFE_FUNCTIONS)}",
            )


class Expression:
    """A checked expression over ``data``, ``config`` and ``stats``.

    Instances are callable like a condition function, ``expr(data, config=None)``,
    which is how restored ``lambda_expression`` conditions behave. They compare
    equal by expression text.
    """

    __slots__ = ("source", "_tree", "__weakref__")

    def __init__(self, source: str) -> None:
        if not isinstance(source, str):
            raise TypeError(f"expression must be a string, got {type(source).__name__}")
        try:
            tree = ast.parse(source.strip(), mode="eval")
        except SyntaxError as exc:
            raise _invalid(source, exc.msg) from None
        _check(source, tree)
        self.source = source
        self._tree = tree.body

    def evaluate(self, data: Any = None, config: Mapping[str, Any] | None = None) -> Any:
        """Evaluate with ``data``, ``config`` (default ``{}``) and an empty ``stats``."""
        evaluator = simpleeval.EvalWithCompoundTypes(
            functions=dict(SAFE_FUNCTIONS),
            names={"data": data, "config": {} if config is None else config, "stats": {}},
        )
        # Attribute access must behave as in Python: ``data.key`` on a dict is
        # an error, not a silent item lookup.
        evaluator.ATTR_INDEX_FALLBACK = False
        return evaluator.eval(self.source, previously_parsed=self._tree)

    def __call__(self, data: Any, config: Mapping[str, Any] | None = None) -> Any:
        return self.evaluate(data, config)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Expression) and other.source == self.source

    def __hash__(self) -> int:
        return hash(self.source)

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"
