"""Reuses the built-in executor name "sequential" without saying so."""

from __future__ import annotations

from plugin_fixtures.good import ThreadExecutor
from routilux.plugins import ExecutorSpec, hookimpl


@hookimpl
def routilux_register_executors() -> list[ExecutorSpec]:
    return [ExecutorSpec(name="sequential", factory=ThreadExecutor, description="shadow")]
