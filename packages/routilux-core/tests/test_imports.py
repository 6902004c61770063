"""The core import surface of spec §0.1, the version, and SlotActivationTask construction (§15)."""

from __future__ import annotations

import contextvars
import dataclasses
import importlib
import time
import uuid
from datetime import datetime
from typing import Any

import pytest

CORE_NAMES = [
    "Routine", "ExecutionContext", "Slot", "Event", "Connection", "Flow", "JobState", "ExecutionRecord",
    "ExecutionTracker", "ErrorHandler", "ErrorStrategy", "OutputHandler", "QueueOutputHandler",
    "CallbackOutputHandler", "NullOutputHandler",
]

ANALYSIS_NAMES = [
    "RoutineAnalyzer", "analyze_routine_file", "WorkflowAnalyzer", "analyze_workflow",
    "BaseFormatter", "RoutineMarkdownFormatter", "WorkflowD2Formatter",
]


@pytest.mark.parametrize("name", CORE_NAMES)
def test_core_names_from_package(name: str) -> None:
    module = importlib.import_module("routilux")
    assert getattr(module, name) is not None


@pytest.mark.parametrize("name", ANALYSIS_NAMES)
def test_analysis_names_from_package(name: str) -> None:
    """§0.1 / §17: the analysis tools are exported from ``routilux`` (no plugin provides them)."""
    module = importlib.import_module("routilux")
    assert hasattr(module, name), f"routilux.{name} is missing"


def test_version() -> None:
    import routilux

    assert routilux.__version__ == "0.10.0"


@pytest.mark.parametrize(
    ("module_name", "names"),
    [
        ("routilux.routine", ["Routine", "ExecutionContext", "_current_job_state"]),
        ("routilux.slot", ["Slot"]),
        ("routilux.event", ["Event"]),
        ("routilux.connection", ["Connection"]),
        ("routilux.error_handler", ["ErrorHandler", "ErrorStrategy"]),
        ("routilux.execution_tracker", ["ExecutionTracker"]),
        ("routilux.output_handler", [
            "OutputHandler", "QueueOutputHandler", "CallbackOutputHandler", "NullOutputHandler",
        ]),
        ("routilux.job_state", ["JobState", "ExecutionRecord", "register_serializable"]),
        ("routilux.flow", ["Flow", "TaskPriority", "SlotActivationTask"]),
        ("routilux.flow.task", ["SlotActivationTask", "TaskPriority"]),
    ],
)
def test_module_import_paths(module_name: str, names: list[str]) -> None:
    module = importlib.import_module(module_name)
    for name in names:
        assert hasattr(module, name), f"{module_name}.{name} is missing"


def test_submodule_classes_are_the_package_classes() -> None:
    import routilux
    from routilux.connection import Connection
    from routilux.error_handler import ErrorHandler, ErrorStrategy
    from routilux.event import Event
    from routilux.execution_tracker import ExecutionTracker
    from routilux.flow import Flow
    from routilux.job_state import ExecutionRecord, JobState
    from routilux.output_handler import (
        CallbackOutputHandler,
        NullOutputHandler,
        OutputHandler,
        QueueOutputHandler,
    )
    from routilux.routine import ExecutionContext, Routine
    from routilux.slot import Slot

    pairs = {
        "Routine": Routine, "ExecutionContext": ExecutionContext, "Slot": Slot, "Event": Event,
        "Connection": Connection, "Flow": Flow, "JobState": JobState, "ExecutionRecord": ExecutionRecord,
        "ExecutionTracker": ExecutionTracker, "ErrorHandler": ErrorHandler, "ErrorStrategy": ErrorStrategy,
        "OutputHandler": OutputHandler, "QueueOutputHandler": QueueOutputHandler,
        "CallbackOutputHandler": CallbackOutputHandler, "NullOutputHandler": NullOutputHandler,
    }
    for name, obj in pairs.items():
        assert getattr(routilux, name) is obj, name


def test_flow_and_flow_task_export_the_same_task_types() -> None:
    from routilux.flow import SlotActivationTask as A
    from routilux.flow import TaskPriority as P
    from routilux.flow.task import SlotActivationTask, TaskPriority

    assert A is SlotActivationTask
    assert P is TaskPriority


def test_current_job_state_contextvar() -> None:
    from routilux.routine import _current_job_state

    assert isinstance(_current_job_state, contextvars.ContextVar)
    assert _current_job_state.get(None) is None
    assert _current_job_state.get() is None  # default None
    marker = object()
    token = _current_job_state.set(marker)
    try:
        assert _current_job_state.get(None) is marker
    finally:
        _current_job_state.reset(token)
    assert _current_job_state.get(None) is None


def test_current_job_state_seen_by_slot_receive() -> None:
    from routilux.job_state import JobState
    from routilux.routine import _current_job_state
    from routilux.slot import Slot

    seen: list[Any] = []
    job = JobState("f")
    Slot("s", None, lambda **kw: seen.append(_current_job_state.get(None))).receive({"a": 1}, job_state=job)
    assert seen == [job]


def test_execution_context_is_named_tuple() -> None:
    from routilux.routine import ExecutionContext

    ctx = ExecutionContext("flow", "job", "rid")
    flow, job, rid = ctx
    assert (flow, job, rid) == ("flow", "job", "rid")
    assert ctx.flow == "flow" and ctx.job_state == "job" and ctx.routine_id == "rid"
    assert ExecutionContext._fields == ("flow", "job_state", "routine_id")


def test_register_serializable_from_job_state_is_usable_as_decorator() -> None:
    import routilux
    from routilux.job_state import register_serializable
    from routilux.routine import Routine

    assert register_serializable is routilux.register_serializable

    # a fresh name per run: the class registry is process-wide
    cls = type(f"ImportsTestRegistered_{uuid.uuid4().hex}", (Routine,), {})
    assert register_serializable(cls) is cls
    assert isinstance(cls(), Routine)
    # decorating the same class again is harmless
    assert register_serializable(cls) is cls


def test_subclasses_are_not_auto_registered() -> None:
    from routilux.job_state import register_serializable
    from routilux.routine import Routine

    name = f"ImportsTestShared_{uuid.uuid4().hex}"

    def make() -> type:
        return type(name, (Routine,), {})

    make()  # undecorated subclasses do not claim the name
    make()
    decorated = register_serializable(make())
    assert decorated.__name__ == name
    with pytest.raises(ValueError, match="Class name conflict"):
        register_serializable(make())


# -- §15 tasks ------------------------------------------------------------------------------------


def test_task_priority_values() -> None:
    from routilux.flow.task import TaskPriority

    assert {p.name: p.value for p in TaskPriority} == {"HIGH": 1, "NORMAL": 2, "LOW": 3}


def test_slot_activation_task_keyword_construction_with_routineless_slot() -> None:
    from routilux.flow import SlotActivationTask, TaskPriority
    from routilux.slot import Slot

    slot = Slot("orphan")
    created = time.time()
    task = SlotActivationTask(slot=slot, data={"a": 1}, created_at=created)
    assert task.slot is slot
    assert task.slot.routine is None
    assert task.data == {"a": 1}
    assert task.connection is None
    assert task.priority is TaskPriority.NORMAL
    assert task.retry_count == 0
    assert task.max_retries == 0
    assert task.created_at == created
    assert isinstance(task.created_at, float)
    assert task.job_state is None


def test_slot_activation_task_defaults_created_at_to_now() -> None:
    from routilux.flow.task import SlotActivationTask
    from routilux.slot import Slot

    before = datetime.now()
    task = SlotActivationTask(slot=Slot("s"), data={})
    assert isinstance(task.created_at, datetime)
    assert before <= task.created_at <= datetime.now()


def test_slot_activation_task_field_order() -> None:
    from routilux.flow.task import SlotActivationTask

    assert [f.name for f in dataclasses.fields(SlotActivationTask)] == [
        "slot", "data", "connection", "priority", "retry_count", "max_retries", "created_at", "job_state",
    ]


def test_slot_activation_task_positional_and_ordering() -> None:
    from routilux.flow.task import SlotActivationTask, TaskPriority
    from routilux.job_state import JobState
    from routilux.slot import Slot

    job = JobState("f")
    high = SlotActivationTask(Slot("a"), {}, None, TaskPriority.HIGH, 1, 3, 0.0, job)
    low = SlotActivationTask(Slot("b"), {}, priority=TaskPriority.LOW)
    assert (high.retry_count, high.max_retries, high.created_at, high.job_state) == (1, 3, 0.0, job)
    assert high < low
    assert not (low < high)
