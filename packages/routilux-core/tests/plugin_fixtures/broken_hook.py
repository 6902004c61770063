"""A plugin whose routine hook works but whose executor hook raises: nothing of it may be kept."""

from __future__ import annotations

from routilux.plugins import ExecutorSpec, RoutineSpec, hookimpl


class HalfRoutine:
    pass


@hookimpl
def routilux_register_routines() -> list[RoutineSpec]:
    return [RoutineSpec(name="HalfRoutine", cls=HalfRoutine)]


@hookimpl
def routilux_register_executors() -> list[ExecutorSpec]:
    raise ValueError("executor registration failed on purpose")
