"""Describe a live Flow: settings, routines, connections, dependencies, entry points."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from routilux.analysis.routine_analyzer import RoutineAnalyzer

if TYPE_CHECKING:
    from routilux.analysis.ultimate_d2 import RoutineAnalysisSource
    from routilux.flow import Flow
    from routilux.routine import Routine

__all__ = ["D2_MODES", "WorkflowAnalyzer", "analyze_workflow"]

PathLike = str | Path

#: The ``mode`` values of :meth:`WorkflowAnalyzer.to_d2_format` and :meth:`WorkflowAnalyzer.save_d2`.
D2_MODES = ("standard", "ultimate")


def _callable_name(value: Any) -> str | None:
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

    def __init__(self, routine_analyzer: RoutineAnalyzer | None = None) -> None:
        self.routine_analyzer = routine_analyzer or RoutineAnalyzer()
        self._file_cache: dict[str, dict[str, Any] | None] = {}

    def analyze_flow(self, flow: Flow, include_source_analysis: bool = True) -> dict[str, Any]:
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

    def _describe_routine(self, routine_id: str, routine: Routine, with_source: bool) -> dict[str, Any]:
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

    def _source_info(self, cls: type) -> dict[str, Any] | None:
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
    def _describe_connections(flow: Flow) -> list[dict[str, Any]]:
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
    def to_json(data: dict[str, Any], indent: int = 2) -> str:
        """The description as JSON text (values JSON cannot hold are written with ``str``)."""
        return json.dumps(data, indent=indent, ensure_ascii=False, default=_json_default)

    def save_json(self, data: dict[str, Any], file_path: PathLike, indent: int = 2) -> None:
        """Write :meth:`to_json` to ``file_path`` (UTF-8), creating its directory."""
        _write(file_path, self.to_json(data, indent=indent) + "\n")

    @staticmethod
    def to_d2_format(
        data: dict[str, Any],
        mode: str = "standard",
        routine_analysis: RoutineAnalysisSource | None = None,
    ) -> str:
        """The flow as a D2 diagram.

        Args:
            data: a flow description (:meth:`analyze_flow`).
            mode: ``"standard"``: one box per routine, edges labelled
                ``event → slot`` (:class:`~routilux.analysis.WorkflowD2Formatter`);
                ``"ultimate"``: each routine with its slots, events and config, edges
                from event to slot
                (:class:`~routilux.analysis.ultimate_d2.UltimateWorkflowD2Formatter`).
            routine_analysis: the documentation of the routine classes, drawn by
                the ultimate mode: what :func:`~routilux.analysis.analyze_routine_file`
                returns, the path of a JSON file :meth:`RoutineAnalyzer.save_json`
                wrote, or a list of these. The standard mode draws no
                documentation; it still reads ``routine_analysis``, so a bad one fails
                in both modes.

        Raises:
            ValueError: ``mode`` is not one of :data:`D2_MODES`, or
                ``routine_analysis`` is not a routine analysis.
            FileNotFoundError: ``routine_analysis`` names no file.
        """
        from routilux.analysis.formatters import WorkflowD2Formatter
        from routilux.analysis.ultimate_d2 import UltimateWorkflowD2Formatter, load_routine_analysis

        if mode == "ultimate":
            return UltimateWorkflowD2Formatter(routine_analysis).format(data)
        if mode != "standard":
            raise ValueError(
                f"Unknown D2 mode {mode!r}; valid modes: {', '.join(repr(m) for m in D2_MODES)}"
            )
        if routine_analysis is not None:
            load_routine_analysis(routine_analysis)
        return WorkflowD2Formatter().format(data)

    def save_d2(
        self,
        data: dict[str, Any],
        output_path: PathLike,
        mode: str = "standard",
        routine_analysis: RoutineAnalysisSource | None = None,
    ) -> None:
        """Write :meth:`to_d2_format` to ``output_path`` (UTF-8), creating its directory.

        Nothing is written when the arguments are invalid (same errors as :meth:`to_d2_format`).
        """
        _write(output_path, self.to_d2_format(data, mode=mode, routine_analysis=routine_analysis))


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


def analyze_workflow(flow: Flow, include_source_analysis: bool = True) -> dict[str, Any]:
    """Shortcut for ``WorkflowAnalyzer().analyze_flow(flow, include_source_analysis)``."""
    return WorkflowAnalyzer().analyze_flow(flow, include_source_analysis=include_source_analysis)


