"""Describe routine classes from Python source, without importing it."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any, Union

__all__ = ["RoutineAnalyzer", "analyze_routine_file"]

PathLike = Union[str, "Path"]

_BASE_NAME = "Routine"


def _base_name(node: ast.expr) -> str | None:
    """``Routine`` for ``Routine``, ``routilux.Routine`` and ``Routine[...]``; None otherwise."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):
        return _base_name(node.value)
    return None


def _is_self_call(node: ast.Call, method: str) -> bool:
    func = node.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr == method
        and isinstance(func.value, ast.Name)
        and func.value.id == "self"
    )


def _argument(node: ast.Call, position: int, keyword: str) -> ast.expr | None:
    for kw in node.keywords:
        if kw.arg == keyword:
            return kw.value
    if len(node.args) > position and not isinstance(node.args[position], ast.Starred):
        return node.args[position]
    return None


def _literal(node: ast.expr | None, default: Any = None) -> Any:
    if node is None:
        return default
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def _describe_callable(node: ast.expr | None) -> str | None:
    """``"_on_input"`` for ``self._on_input``, the source text for anything else."""
    if node is None:
        return None
    if isinstance(node, ast.Constant) and node.value is None:
        return None
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ast.unparse(node)


class RoutineAnalyzer:
    """Find the routine classes of a Python file and describe them.

    A class is a routine when one of its bases is named ``Routine`` (``Routine``
    or ``something.Routine``) or is a routine class of the same file. Slots,
    events and configuration are read from ``self.define_slot(...)``,
    ``self.define_event(...)`` and ``self.set_config(...)`` calls anywhere in
    the class body; only literal configuration values are reported.
    """

    def analyze_file(self, file_path: PathLike) -> dict[str, Any]:
        """``{"file_path", "routines": [...]}`` for the file; ``FileNotFoundError`` if it is missing."""
        path = Path(file_path)
        if not path.is_file():
            raise FileNotFoundError(f"Routine source file not found: {path}")
        source = path.read_text(encoding="utf-8")
        return self.analyze_source(source, file_path=str(path))

    def analyze_source(self, source: str, file_path: str = "<string>") -> dict[str, Any]:
        """As :meth:`analyze_file`, for source text (``SyntaxError`` if it does not parse)."""
        tree = ast.parse(source, filename=file_path)
        classes = [node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
        classes.sort(key=lambda node: node.lineno)
        routine_names: set[str] = {_BASE_NAME}
        found: list[ast.ClassDef] = []
        # Repeat until stable so that subclasses of routine classes defined later are found too.
        changed = True
        while changed:
            changed = False
            for node in classes:
                if node in found:
                    continue
                if any(_base_name(base) in routine_names for base in node.bases):
                    found.append(node)
                    routine_names.add(node.name)
                    changed = True
        found.sort(key=lambda node: node.lineno)
        return {"file_path": file_path, "routines": [self._describe_class(node) for node in found]}

    def _describe_class(self, node: ast.ClassDef) -> dict[str, Any]:
        slots: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        config: dict[str, Any] = {}
        for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
            if _is_self_call(call, "define_slot"):
                strategy = _argument(call, 2, "merge_strategy")
                slots.append(
                    {
                        "name": _literal(_argument(call, 0, "name")),
                        "handler": _describe_callable(_argument(call, 1, "handler")),
                        "merge_strategy": (
                            "override" if strategy is None
                            else _literal(strategy) if isinstance(strategy, ast.Constant)
                            else _describe_callable(strategy)
                        ),
                    }
                )
            elif _is_self_call(call, "define_event"):
                params = _literal(_argument(call, 1, "output_params"), default=[])
                events.append(
                    {
                        "name": _literal(_argument(call, 0, "name")),
                        "output_params": list(params) if isinstance(params, (list, tuple)) else [],
                    }
                )
            elif _is_self_call(call, "set_config"):
                for kw in call.keywords:
                    if kw.arg is None:
                        continue
                    try:
                        config[kw.arg] = ast.literal_eval(kw.value)
                    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                        continue
        methods = [
            item.name for item in node.body if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
        ]
        return {
            "name": node.name,
            "docstring": ast.get_docstring(node),
            "slots": slots,
            "events": events,
            "config": config,
            "methods": methods,
            "line_number": node.lineno,
        }

    @staticmethod
    def to_json(data: dict[str, Any], indent: int = 2) -> str:
        """The description as JSON text (values JSON cannot hold are written with ``str``)."""
        return json.dumps(data, indent=indent, ensure_ascii=False, default=str)

    def save_json(self, data: dict[str, Any], file_path: PathLike, indent: int = 2) -> None:
        """Write :meth:`to_json` to ``file_path`` (UTF-8), creating its directory."""
        path = Path(file_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json(data, indent=indent) + "\n", encoding="utf-8")


def analyze_routine_file(file_path: PathLike) -> dict[str, Any]:
    """Shortcut for ``RoutineAnalyzer().analyze_file(file_path)``."""
    return RoutineAnalyzer().analyze_file(file_path)
