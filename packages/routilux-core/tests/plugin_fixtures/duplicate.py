"""Provides an executor under the same name as plugin_fixtures.good."""

from __future__ import annotations

from plugin_fixtures.good import ThreadExecutor
from routilux.plugins import ExecutorSpec, hookimpl


@hookimpl
def routilux_register_executors() -> list[ExecutorSpec]:
    return [ExecutorSpec(name="fixture-threads", factory=ThreadExecutor, description="the other one")]
