"""A hook function that forgot its @hookimpl marker."""

from __future__ import annotations

from plugin_fixtures.good import ThreadExecutor
from routilux.plugins import ExecutorSpec


def routilux_register_executors() -> list[ExecutorSpec]:
    return [ExecutorSpec(name="never-seen", factory=ThreadExecutor)]
