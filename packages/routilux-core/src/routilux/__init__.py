"""routilux: event-driven workflows.

Routines declare input slots and output events; a Flow wires events to slots
and runs jobs through an executor. Executors, error strategies, serializers and
routine types are plugins (see :mod:`routilux.plugins`).
"""

from typing import Any

from routilux import builtin_routines as _builtin_routines
from routilux.class_registry import register_serializable
from routilux.connection import Connection
from routilux.engine.activation import Activation
from routilux.engine.executors.base import ActivationRunner, Executor
from routilux.engine.journal import activation_key
from routilux.engine.recovery import read_job as read_journaled_job
from routilux.engine.remote import RemoteCall, RemoteContextError, RemoteResult
from routilux.error_handler import ErrorAction, ErrorContext, ErrorDecision, ErrorHandler, ErrorStrategy
from routilux.event import Event
from routilux.execution_tracker import ExecutionTracker
from routilux.flow import Flow
from routilux.job_state import ExecutionRecord, JobState
from routilux.job_stats import RoutineStats
from routilux.output_handler import (
    CallbackOutputHandler,
    NullOutputHandler,
    OutputHandler,
    QueueOutputHandler,
)
from routilux.plugins.hookspecs import hookimpl, hookspec
from routilux.routine import ExecutionContext, Routine
from routilux.slot import Slot
from routilux.store import DurableStore, SnapshotStore, open_store

# Provided by the routilux-std-routines distribution, resolved on first use
# through the routine registry (core never imports that distribution).
_STD_ROUTINES = _builtin_routines.NAMES

# The analysis tools (ast, json, pathlib) load on first use: most programs never need them.
_ANALYSIS = (
    "BaseFormatter", "RoutineAnalyzer", "RoutineMarkdownFormatter", "WorkflowAnalyzer",
    "WorkflowD2Formatter", "analyze_routine_file", "analyze_workflow",
)

__all__ = [
    "Activation",
    "ActivationRunner",
    "BaseFormatter",
    "CallbackOutputHandler",
    "Connection",
    "ErrorAction",
    "ErrorContext",
    "ErrorDecision",
    "ErrorHandler",
    "ErrorStrategy",
    "Event",
    "ExecutionContext",
    "ExecutionRecord",
    "ExecutionTracker",
    "Executor",
    "Flow",
    "JobState",
    "NullOutputHandler",
    "OutputHandler",
    "QueueOutputHandler",
    "RemoteCall",
    "RemoteContextError",
    "RemoteResult",
    "Routine",
    "RoutineAnalyzer",
    "RoutineStats",
    "RoutineMarkdownFormatter",
    "Slot",
    "WorkflowAnalyzer",
    "WorkflowD2Formatter",
    "DurableStore",
    "SnapshotStore",
    "__version__",
    "analyze_routine_file",
    "activation_key",
    "analyze_workflow",
    "hookimpl",
    "hookspec",
    "open_store",
    "read_journaled_job",
    "register_serializable",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        # Read from the installed distribution's metadata on first use: importlib.metadata
        # costs milliseconds that most imports of routilux never need.
        from routilux.plugins.discovery import installed_version

        return installed_version("routilux-core")
    if name in _STD_ROUTINES:
        return getattr(_builtin_routines, name)
    if name in _ANALYSIS:
        import routilux.analysis

        return getattr(routilux.analysis, name)
    raise AttributeError(f"module 'routilux' has no attribute {name!r}")


def __dir__() -> "list[str]":
    return sorted(set(globals()) | set(__all__) | set(_STD_ROUTINES))
