"""A hook implementation whose name misses the final "s"."""

from __future__ import annotations

from plugin_fixtures.good import ThreadExecutor
from routilux.plugins import ExecutorSpec, hookimpl


@hookimpl
def routilux_register_executor() -> list[ExecutorSpec]:
    return [ExecutorSpec(name="never-seen", factory=ThreadExecutor)]
