"""How ConditionalRouter and DataFilter conditions are stored in flow files, and restored.

Serialized form (the dict field names are those of the reference format):

* module-level function -> ``{"_type": "callable", "callable_type": "function", "module", "name"}``,
  restored by import;
* lambda or local ``def`` whose source can be read -> ``{"_type": "lambda_expression",
  "expression": ...}``, the body rewritten over ``data``/``config``, restored as an
  :class:`~routilux_std_routines.expressions.Expression` (never by ``eval``);
* a method of the owning routine -> ``{"_type": "callable", "callable_type": "method", ...}``;
* a safe builtin (``len``, ``bool``, ...) -> ``{"_type": "callable", "callable_type": "builtin", "name"}``;
* strings and dicts unchanged.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import linecache
import sys
import types
from collections.abc import Callable, Mapping
from typing import Any

from routilux_std_routines.conditions import expression
from routilux_std_routines.expressions import EXPRESSION_NAMES, SAFE_FUNCTIONS, Expression

# Names that conditions serialized by the reference implementation use for their
# single parameter; restored expressions read them as ``data``.
_LEGACY_PARAMETER_NAMES = ("x", "item", "value", "obj")

# Builtins a flow file may name as a condition. Anything wider (``eval``,
# ``exec``, ``open``) would turn a data file into code.
_RESTORABLE_BUILTINS = frozenset(SAFE_FUNCTIONS) | {"callable", "any", "all"}


def _is_literal(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, str)):
        return True
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    if isinstance(value, (list, tuple)):
        return all(_is_literal(v) for v in value)
    if isinstance(value, dict):
        return all(_is_literal(k) and _is_literal(v) for k, v in value.items())
    return False


class _Rewrite(ast.NodeTransformer):
    """Renames parameters and inlines literal values of free names."""

    def __init__(self, renames: Mapping[str, str], constants: Mapping[str, Any]) -> None:
        self.renames = renames
        self.constants = constants

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.renames:
            return ast.copy_location(ast.Name(id=self.renames[node.id], ctx=node.ctx), node)
        if isinstance(node.ctx, ast.Load) and node.id in self.constants:
            literal = ast.parse(repr(self.constants[node.id]), mode="eval").body
            return ast.copy_location(literal, node)
        return node


def _source_tree(fn: types.FunctionType) -> ast.Module:
    try:
        filename = inspect.getsourcefile(fn)
    except TypeError:
        filename = None
    lines = linecache.getlines(filename, fn.__globals__) if filename else []
    if not lines:
        raise ValueError("its source code is not available (defined in a REPL, by eval or exec?)")
    return ast.parse("".join(lines))


def _inside(node: ast.Lambda, line: int, col: int) -> bool:
    end = (node.end_lineno or node.lineno, node.end_col_offset or 0)
    return (node.lineno, node.col_offset) <= (line, col) <= end


def _plain_consts(code: types.CodeType) -> list[Any]:
    return [c for c in code.co_consts if not isinstance(c, types.CodeType)]


def _compiles_to(node: ast.Lambda, code: types.CodeType) -> bool:
    try:
        compiled = compile(ast.Expression(body=node), "<condition>", "eval")
    except (SyntaxError, ValueError):
        return False
    inner = next(c for c in compiled.co_consts if isinstance(c, types.CodeType))
    return (inner.co_code, inner.co_names, _plain_consts(inner)) == (
        code.co_code,
        code.co_names,
        _plain_consts(code),
    )


def _find_lambda(fn: types.FunctionType, tree: ast.Module) -> ast.Lambda:
    code = fn.__code__
    arg_names = list(code.co_varnames[: code.co_argcount])
    candidates = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Lambda)
        and node.lineno == code.co_firstlineno
        and [a.arg for a in node.args.posonlyargs + node.args.args] == arg_names
    ]
    positions = getattr(code, "co_positions", None)  # Python 3.11+: exact columns
    if len(candidates) > 1 and positions is not None:
        # Zero-width entries (such as RESUME at column 0) belong to no source expression.
        points = [
            (line, col)
            for line, end_line, col, end_col in positions()
            if line is not None and col is not None and (line, col) != (end_line, end_col)
        ]
        containing = [n for n in candidates if all(_inside(n, line, col) for line, col in points)]
        # Nested lambdas contain each other; the innermost one is this function.
        candidates = sorted(containing, key=lambda n: (n.lineno, n.col_offset), reverse=True)[:1]
    elif len(candidates) > 1:
        # Without column information, compile each candidate and compare bytecode and constants.
        candidates = [n for n in candidates if _compiles_to(n, code)] or candidates
    if len({ast.dump(n.body) for n in candidates}) > 1:
        raise ValueError(
            f"several different lambdas with parameters {arg_names} share line {code.co_firstlineno}"
        )
    if not candidates:
        raise ValueError(f"its lambda was not found in the source at line {code.co_firstlineno}")
    return candidates[0]


def _find_def_body(fn: types.FunctionType, tree: ast.Module) -> ast.expr:
    code = fn.__code__
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node.name != fn.__name__:
            continue
        if min([node.lineno] + [d.lineno for d in node.decorator_list]) != code.co_firstlineno:
            continue
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]  # docstring
        if len(body) == 1 and isinstance(body[0], ast.Return) and body[0].value is not None:
            return body[0].value
        raise ValueError(f"function {fn.__name__!r} is not a single 'return <expression>'")
    raise ValueError(f"function {fn.__name__!r} was not found in its source file")


def expression_from_function(fn: types.FunctionType) -> str:
    """Turn a lambda or one-line local function into an expression over ``data``/``config``.

    The first parameter becomes ``data``; a second one not named ``config`` or
    ``stats`` becomes ``config`` (it is passed the config positionally). Free
    names bound to literal values (closure variables, module constants) are
    inlined. Raises ``ValueError`` when that does not yield a valid expression.
    """
    tree = _source_tree(fn)
    if fn.__name__ == "<lambda>":
        body: ast.expr = _find_lambda(fn, tree).body
    else:
        body = _find_def_body(fn, tree)
    code = fn.__code__
    params = list(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount])
    renames: dict[str, str] = {}
    if params:
        renames[params[0]] = "data"
    if len(params) == 2 and params[1] not in ("config", "stats"):
        renames[params[1]] = "config"
    closure = dict(zip(code.co_freevars, (c.cell_contents for c in fn.__closure__ or ())))
    constants: dict[str, Any] = {}
    for node in ast.walk(body):
        name = node.id if isinstance(node, ast.Name) else None
        if name is None or name in renames or name in EXPRESSION_NAMES or name in SAFE_FUNCTIONS:
            continue
        if name in closure:
            value = closure[name]
        elif name in fn.__globals__:
            value = fn.__globals__[name]
        else:
            continue
        if _is_literal(value):
            constants[name] = value
    source = ast.unparse(_Rewrite(renames, constants).visit(body))
    expression(source)  # raises ValueError with the reason when it cannot work
    return source


def _module_function_reference(fn: Callable[..., Any]) -> dict[str, Any] | None:
    if not isinstance(fn, types.FunctionType) or fn.__name__ == "<lambda>" or fn.__qualname__ != fn.__name__:
        return None
    module = sys.modules.get(fn.__module__)
    if module is None or getattr(module, fn.__name__, None) is not fn or fn.__module__ == "__main__":
        return None
    return {"_type": "callable", "callable_type": "function", "module": fn.__module__, "name": fn.__name__}


def serialize_condition(condition: Any, what: str, owner: Any = None) -> Any:
    """The serialized form of one condition (see the module docstring).

    ``what`` names the condition in errors, e.g. ``"route 'high'"``. Raises
    ``ValueError`` when a callable condition cannot be described.
    """
    if isinstance(condition, Expression):
        return {"_type": "lambda_expression", "expression": condition.source}
    if isinstance(condition, (str, Mapping)) or not callable(condition):
        return condition
    reference = _module_function_reference(condition)
    if reference is not None:
        return reference
    if isinstance(condition, types.MethodType) and owner is not None and condition.__self__ is owner:
        return {
            "_type": "callable",
            "callable_type": "method",
            "class_name": type(owner).__name__,
            "method_name": condition.__func__.__name__,
            "object_id": getattr(owner, "_id", None),
        }
    if (
        isinstance(condition, types.BuiltinFunctionType)
        and condition.__self__ is builtins
        and condition.__name__ in _RESTORABLE_BUILTINS
    ):
        return {"_type": "callable", "callable_type": "builtin", "name": condition.__name__}
    if isinstance(condition, types.FunctionType):
        try:
            return {"_type": "lambda_expression", "expression": expression_from_function(condition)}
        except (ValueError, SyntaxError, OSError) as exc:
            raise ValueError(f"Condition for {what} cannot be serialized: {exc}") from None
    raise ValueError(
        f"Condition for {what} cannot be serialized: {condition!r} is not a function, a lambda, "
        "a method of the routine, an expression string or a dict"
    )


def _rename_legacy_parameters(source: str) -> str:
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError:
        return source  # let Expression report it with the original text
    renames = {name: "data" for name in _LEGACY_PARAMETER_NAMES}
    return ast.unparse(_Rewrite(renames, {}).visit(tree.body))


def _restore_callable(ref: Mapping[str, Any], owner: Any) -> Callable[..., Any] | None:
    kind = ref.get("callable_type")
    name = ref.get("name")
    if kind == "function" and isinstance(name, str) and not name.startswith("__"):
        try:
            module = importlib.import_module(str(ref.get("module")))
        except ImportError:
            return None
        fn = getattr(module, name, None)
        return fn if isinstance(fn, types.FunctionType) else None
    if kind == "builtin" and name in _RESTORABLE_BUILTINS:
        restored: Callable[..., Any] = getattr(builtins, str(name))
        return restored
    if kind == "method" and owner is not None and ref.get("class_name") == type(owner).__name__:
        method_name = ref.get("method_name")
        if isinstance(method_name, str) and not method_name.startswith("_"):
            method = getattr(owner, method_name, None)
            return method if callable(method) else None
    return None


def deserialize_condition(value: Any, what: str, owner: Any = None) -> Any:
    """Rebuild one condition from its serialized form; ``ValueError`` if it cannot be."""
    if not isinstance(value, Mapping) or "_type" not in value:
        return value  # callables restored by core, expression strings, plain dict conditions
    kind = value["_type"]
    if kind == "lambda_expression":
        try:
            return expression(_rename_legacy_parameters(str(value.get("expression", ""))))
        except ValueError as exc:
            raise ValueError(f"Failed to deserialize lambda_expression condition for {what}: {exc}") from None
    if kind == "callable":
        restored = _restore_callable(value, owner)
        if restored is None:
            raise ValueError(
                f"Failed to deserialize callable condition for {what}: {dict(value)!r} cannot be resolved"
            )
        return restored
    return value
