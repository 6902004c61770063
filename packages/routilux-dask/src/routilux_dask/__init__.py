"""routilux-dask: run routilux flows on a Dask cluster.

Install it next to ``routilux-core`` and select it with
``Flow(execution_strategy="dask", executor_options={...})``; see
:class:`routilux_dask.executor.DaskExecutor` for the options and for what a
routine must allow to run remotely.
"""

from __future__ import annotations

from routilux_dask.executor import DaskExecutor, RoutinePicklingError, dask_executor, dumps_call

__all__ = ["DaskExecutor", "RoutinePicklingError", "dask_executor", "dumps_call"]
__version__ = "0.1.0"
