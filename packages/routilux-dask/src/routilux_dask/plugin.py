"""The ``routilux`` entry point of routilux-dask: registers the ``dask`` executor."""

from __future__ import annotations

from routilux.plugins import ExecutorSpec, hookimpl
from routilux_dask.executor import dask_executor


@hookimpl
def routilux_register_executors() -> list[ExecutorSpec]:
    """The ``dask`` executor's spec."""
    return [
        ExecutorSpec(
            name="dask",
            factory=dask_executor,
            description="runs handlers on a Dask cluster (by default a shared LocalCluster of processes)",
        )
    ]
