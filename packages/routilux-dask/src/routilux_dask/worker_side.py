"""What the dask executor installs on the workers: a handler that runs a batch of calls, called directly.

:class:`WorkerHandlers` is a dask ``WorkerPlugin``: registered once by each
executor's client (idempotent, by name), the scheduler installs it on every
worker, including workers that join or are restarted later. It adds the comm
handler :data:`HANDLER` to the worker, which the executor calls straight from
its client over the client's connection pool: one round trip per batch, with no
scheduler in between (a dask task costs three more hops and their batching
intervals). The calls run on the worker's own thread pool, like its tasks, so the
worker's event loop stays free for heartbeats.

This module imports ``distributed``; the executor imports it only when it starts.
"""

from __future__ import annotations

import asyncio
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from routilux_dask.wire import run_remote_batch

__all__ = ["HANDLER", "WorkerHandlers"]

#: The name of the comm handler on each worker.
HANDLER = "routilux_run_batch"


class WorkerHandlers(WorkerPlugin):
    """Adds :data:`HANDLER` (``payloads``, ``names`` -> pickled results) to a worker."""

    name = "routilux-dask-handlers"
    #: Registering it again (another executor, another flow) leaves the installed one alone.
    idempotent = True

    def setup(self, worker: Any) -> None:
        async def run_batch(payloads: list[bytes], names: list[str]) -> list[bytes]:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(worker.executors["default"], run_remote_batch, payloads, names)

        worker.handlers[HANDLER] = run_batch

    def teardown(self, worker: Any) -> None:
        worker.handlers.pop(HANDLER, None)
