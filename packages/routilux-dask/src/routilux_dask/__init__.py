"""routilux-dask: run routilux flows on a Dask cluster.

Install it next to ``routilux-core`` and select it with
``Flow(execution_strategy="dask", executor_options={...})``; see
:class:`routilux_dask.executor.DaskExecutor` for the options,
:mod:`routilux_dask.wire` for what a routine must allow to run remotely,
:mod:`routilux_dask.dispatch` for how batches reach the workers and
:mod:`routilux_dask.local_cluster` for the LocalCluster shared by flows given
no cluster. One routine alone can run on dask:
``flow.set_routine_executor("work", "dask", max_workers=16, address=...)``.
"""

from __future__ import annotations

from importlib.metadata import version

from routilux_dask.executor import DaskExecutor, dask_executor
from routilux_dask.local_cluster import DaskStartupError
from routilux_dask.wire import RoutinePicklingError, dumps_call

__all__ = ["DaskExecutor", "DaskStartupError", "RoutinePicklingError", "dask_executor", "dumps_call"]
__version__ = version("routilux-dask")
