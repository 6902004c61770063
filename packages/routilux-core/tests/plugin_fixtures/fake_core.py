"""Plays core's built-ins in tests: an executor "sequential" and an error strategy "stop"."""

from __future__ import annotations

from plugin_fixtures.good import ThreadExecutor
from routilux.plugins import ErrorStrategySpec, ExecutorSpec, hookimpl


def stop(handler: object, error: BaseException, context: object) -> str:
    return "stop"


@hookimpl
def routilux_register_executors() -> list[ExecutorSpec]:
    return [ExecutorSpec(name="sequential", factory=ThreadExecutor, description="core's")]


@hookimpl
def routilux_register_error_strategies() -> list[ErrorStrategySpec]:
    return [ErrorStrategySpec(name="stop", decide=stop)]
