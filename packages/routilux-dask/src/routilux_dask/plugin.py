"""The ``routilux`` entry point of routilux-dask: registers the ``dask`` executor."""

from __future__ import annotations

from routilux.plugins import ExecutorSpec, hookimpl
from routilux_dask.executor import DaskExecutor


@hookimpl
def routilux_register_executors() -> list[ExecutorSpec]:
    """The ``dask`` executor's spec."""
    return [
        ExecutorSpec(
            name="dask",
            # The class itself: its signature names every option, so a flow can refuse a
            # misspelt one when it is set rather than when the first activation needs the executor.
            factory=DaskExecutor,
            description="runs handlers on a Dask cluster (by default a shared LocalCluster of processes)",
        )
    ]
