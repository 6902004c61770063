"""The ``routilux`` entry point of routilux-dask: registers the ``dask`` executor."""

from __future__ import annotations

from typing import List

from routilux.plugins import ExecutorSpec, hookimpl
from routilux_dask.executor import dask_executor


@hookimpl
def routilux_register_executors() -> List[ExecutorSpec]:
    return [
        ExecutorSpec(
            name="dask",
            factory=dask_executor,
            description="runs handlers on a Dask cluster (a LocalCluster of worker processes by default)",
        )
    ]
