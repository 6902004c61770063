"""Describe a live Flow: settings, routines, connections, dependencies, entry points."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

from routilux.analysis.routine_analyzer import RoutineAnalyzer

if TYPE_CHECKING:
    from routilux.flow import Flow
    from routilux.routine import Routine

__all__ = ["WorkflowAnalyzer", "analyze_workflow"]

PathLike = Union[str, Path]


def _callable_name(value: Any) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    name = getattr(value, "__qualname__", None) or getattr(value, "__name__", None)
    return str(name) if name else repr(value)


class WorkflowAnalyzer:
    """Build a plain-data description of a :class:`~routilux.flow.Flow`.

    ``routine_analyzer`` reads the source files of the routines' classes when
    ``include_source_analysis`` is set (results are cached per file).
    """

    def __init__(self, routine_analyzer: Optional[RoutineAnalyzer] = None) -> None:
        self.routine_analyzer = routine_analyzer or RoutineAnalyzer()
        self._file_cache: Dict[str, Optional[Dict[str, Any]]] = {}

    def analyze_flow(self, flow: "Flow", include_source_analysis: bool = True) -> Dict[str, Any]:
        """The description of ``flow`` (see spec §17 for its keys)."""
        routines = [
            self._describe_routine(rid, routine, include_source_analysis)
            for rid, routine in flow.routines.items()
        ]
        graph = flow._build_dependency_graph()
        return {
            "flow_id": flow.flow_id,
            "execution_strategy": flow.execution_strategy,
            "max_workers": flow.max_workers,
            "execution_timeout": flow.execution_timeout,
            "routines": routines,
            "connections": self._describe_connections(flow),
            "dependency_graph": {rid: sorted(deps) for rid, deps in graph.items()},
            "entry_points": [rid for rid, routine in flow.routines.items() if "trigger" in routine._slots],
        }

    def _describe_routine(self, routine_id: str, routine: "Routine", with_source: bool) -> Dict[str, Any]:
        cls = type(routine)
        return {
            "routine_id": routine_id,
            "class_name": cls.__name__,
            "docstring": inspect.getdoc(cls) if cls.__doc__ else None,
            "slots": [
                {
                    "name": slot.name,
                    "handler": _callable_name(slot.handler),
                    "merge_strategy": _callable_name(slot.merge_strategy) or "override",
                }
                for slot in routine._slots.values()
            ],
            "events": [
                {"name": event.name, "output_params": list(event.output_params)}
                for event in routine._events.values()
            ],
            "config": routine.config(),
            "source_info": self._source_info(cls) if with_source else None,
        }

    def _source_info(self, cls: type) -> Optional[Dict[str, Any]]:
        try:
            file_name = inspect.getsourcefile(cls)
        except (TypeError, OSError):
            return None
        if not file_name:
            return None
        if file_name not in self._file_cache:
            try:
                self._file_cache[file_name] = self.routine_analyzer.analyze_file(file_name)
            except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
                self._file_cache[file_name] = None
        analysis = self._file_cache[file_name]
        if analysis is None:
            return None
        for described in analysis["routines"]:
            if described["name"] == cls.__name__:
                return {"file_path": file_name, "module": cls.__module__, **described}
        return {"file_path": file_name, "module": cls.__module__}

    @staticmethod
    def _describe_connections(flow: "Flow") -> List[Dict[str, Any]]:
        described = []
        for connection in flow.connections:
            event, slot = connection.source_event, connection.target_slot
            source = getattr(event, "routine", None)
            target = getattr(slot, "routine", None)
            described.append(
                {
                    "source_routine_id": flow._get_routine_id(source) if source is not None else None,
                    "source_event": getattr(event, "name", None),
                    "target_routine_id": flow._get_routine_id(target) if target is not None else None,
                    "target_slot": getattr(slot, "name", None),
                    "param_mapping": dict(connection.param_mapping),
                }
            )
        return described

    @staticmethod
    def to_json(data: Dict[str, Any], indent: int = 2) -> str:
        """The description as JSON text (values JSON cannot hold are written with ``str``)."""
        return json.dumps(data, indent=indent, ensure_ascii=False, default=_json_default)

    def save_json(self, data: Dict[str, Any], file_path: PathLike, indent: int = 2) -> None:
        """Write :meth:`to_json` to ``file_path`` (UTF-8), creating its directory."""
        _write(file_path, self.to_json(data, indent=indent) + "\n")

    @staticmethod
    def to_d2_format(data: Dict[str, Any], style: str = "default") -> str:
        """The flow as a D2 diagram (see :class:`~routilux.analysis.WorkflowD2Formatter`)."""
        from routilux.analysis.formatters import WorkflowD2Formatter

        return WorkflowD2Formatter(style=style).format(data)

    def save_d2(self, data: Dict[str, Any], file_path: PathLike, style: str = "default") -> None:
        """Write :meth:`to_d2_format` to ``file_path`` (UTF-8), creating its directory."""
        _write(file_path, self.to_d2_format(data, style=style))


def _json_default(value: Any) -> Any:
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if callable(value):
        return _callable_name(value)
    return str(value)


def _write(file_path: PathLike, text: str) -> None:
    path = Path(file_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def analyze_workflow(flow: "Flow", include_source_analysis: bool = True) -> Dict[str, Any]:
    """Shortcut for ``WorkflowAnalyzer().analyze_flow(flow, include_source_analysis)``."""
    return WorkflowAnalyzer().analyze_flow(flow, include_source_analysis=include_source_analysis)


