"""Analysis tools (spec §17): describe routines from their source and flows from their objects.

* :class:`RoutineAnalyzer` / :func:`analyze_routine_file` read a Python file
  with :mod:`ast` (nothing is imported or run) and describe every routine class
  in it: docstring, slots, events, literal ``set_config`` values, methods.
* :class:`WorkflowAnalyzer` / :func:`analyze_workflow` describe a live
  :class:`~routilux.flow.Flow`: settings, routines, connections, dependencies
  and entry points, optionally with the source description of each routine's class.
* :class:`BaseFormatter` turns such a description into text:
  :class:`RoutineMarkdownFormatter` (routine descriptions → Markdown) and
  :class:`WorkflowD2Formatter` (a flow description → a D2 diagram).
  :meth:`WorkflowAnalyzer.to_d2_format` / :meth:`WorkflowAnalyzer.save_d2`
  draw that diagram in ``mode="standard"`` or, with each routine's slots,
  events, config and (given a routine analysis) documentation, in
  ``mode="ultimate"`` (:class:`UltimateWorkflowD2Formatter`).

Everything here uses the standard library only.
"""

from routilux.analysis.formatters import BaseFormatter, RoutineMarkdownFormatter, WorkflowD2Formatter
from routilux.analysis.routine_analyzer import RoutineAnalyzer, analyze_routine_file
from routilux.analysis.ultimate_d2 import UltimateWorkflowD2Formatter, load_routine_analysis
from routilux.analysis.workflow_analyzer import D2_MODES, WorkflowAnalyzer, analyze_workflow

__all__ = [
    "D2_MODES",
    "BaseFormatter",
    "RoutineAnalyzer",
    "RoutineMarkdownFormatter",
    "UltimateWorkflowD2Formatter",
    "WorkflowAnalyzer",
    "WorkflowD2Formatter",
    "analyze_routine_file",
    "analyze_workflow",
    "load_routine_analysis",
]
