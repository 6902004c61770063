"""Replaces the built-in executor "sequential" on purpose, by declaring it."""

from __future__ import annotations

from plugin_fixtures.good import ThreadExecutor
from routilux.plugins import ExecutorSpec, hookimpl

routilux_replaces = ("executor:sequential",)


@hookimpl
def routilux_register_executors() -> list[ExecutorSpec]:
    return [ExecutorSpec(name="sequential", factory=ThreadExecutor, description="declared replacement")]
