"""How a batch of pickled calls reaches a worker and its results come back (on the client's event loop).

Two ways, the first when it can:

* **Direct.** The batch goes straight to a running worker's
  :data:`~routilux_dask.worker_side.HANDLER` over the client's connection pool
  and the results come back in the reply: one round trip. The worker is the one
  with the fewest of this executor's activations per thread. Which workers run
  is asked of the scheduler when the executor starts and again, in the
  background, every :data:`REFRESH_S` seconds and after a failed call.
* **As a dask task** (``client.submit`` then ``gather``). The scheduler places it,
  reschedules it if its worker dies (up to ``distributed.scheduler.allowed-failures``
  times, then ``KilledWorker``) and queues it while no worker runs. A batch takes
  this way when no worker is known, when direct calls are switched off, and when
  a direct call fails (its worker died, or has not installed the handler yet):
  the scheduler's own recovery then decides what becomes of it.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any, final

from routilux_dask.wire import run_remote_batch

__all__ = ["REFRESH_S", "Dispatcher", "Report"]

logger = logging.getLogger("routilux_dask")

#: How old the list of running workers may get before it is asked for again (seconds).
REFRESH_S = 2.0
#: How long a worker whose direct call failed is left out, unless the scheduler still lists it after.
_SUSPECT_S = 10.0

#: ``report(batch, names, results or None, error or None)``, called on the client's event loop.
Report = Callable[[list[Any], list[str], "list[bytes] | None", "BaseException | None"], None]


@final
class Dispatcher:
    """Sends batches for one executor and hands each outcome to ``report``.

    Args:
        client: the executor's ``distributed.Client``.
        report: called once per batch with its results (pickled, in order) or the error.
        direct: call the workers directly (else every batch is a dask task).
    """

    def __init__(self, client: Any, report: Report, *, direct: bool) -> None:
        self._client = client
        self._report = report
        self.direct = direct
        # Owned by the client's event loop (after start).
        self._workers: dict[str, int] = {}  # running worker address -> its threads
        self._load: dict[str, int] = {}  # address -> this executor's activations running there
        self._suspects: dict[str, float] = {}  # address -> when a direct call to it failed
        self._refreshed = -math.inf
        self._refreshing = False

    def start(self) -> None:
        """Install the workers' handler and learn which workers run (from a thread other than the loop's)."""
        if not self.direct:
            return
        from routilux_dask.worker_side import WorkerHandlers

        try:
            self._client.register_plugin(WorkerHandlers())
        except Exception as error:
            # A cluster that refuses the plugin still runs tasks: slower, but the flow runs.
            logger.warning("the dask workers' routilux handler could not be installed (%s: %s); every "
                           "batch is sent as a dask task", type(error).__name__, error)
            self.direct = False
            return
        self._client.sync(self._refresh)

    @property
    def threads(self) -> int:
        """The threads of the running workers known (0 before the first answer of the scheduler)."""
        return sum(self._workers.values())

    def send(self, batch: list[Any], names: list[str], payloads: list[bytes]) -> None:
        """Send ``payloads`` (the pickled calls of ``batch``); from any thread, never blocks."""
        self._client.loop.add_callback(self._run, batch, names, payloads)

    async def _run(self, batch: list[Any], names: list[str], payloads: list[bytes]) -> None:
        address = self._pick() if self.direct else None
        if address is not None:
            from routilux_dask.worker_side import HANDLER

            self._load[address] = self._load.get(address, 0) + len(payloads)
            try:
                call = getattr(self._client.rpc(address), HANDLER)
                data = await call(payloads=payloads, names=names)
            except BaseException as error:  # CancelledError too: the task way still settles the batch
                logger.debug("direct call to dask worker %s failed (%r); sending the batch as a task",
                             address, error)
                self._suspect(address)
            else:
                self._report(batch, names, data, None)
                return
            finally:
                self._load[address] -= len(payloads)
        await self._as_task(batch, names, payloads)

    async def _as_task(self, batch: list[Any], names: list[str], payloads: list[bytes]) -> None:
        try:
            future = self._client.submit(run_remote_batch, payloads, names, pure=False)
        except Exception as error:
            self._report(batch, names, None, error)
            return
        try:
            data = await self._client.gather(future, asynchronous=True)
        except BaseException as error:  # CancelledError is a BaseException
            self._report(batch, names, None, error)
        else:
            self._report(batch, names, data, None)
        finally:
            future.release()

    def _pick(self) -> str | None:
        """The running worker with the fewest of our activations per thread, None if none is known."""
        if time.monotonic() - self._refreshed > REFRESH_S:
            self._refresh_soon()
        best, lowest = None, math.inf
        for address, threads in self._workers.items():
            load = self._load.get(address, 0) / threads
            if load < lowest:
                best, lowest = address, load
        return best

    def _suspect(self, address: str) -> None:
        self._suspects[address] = time.monotonic()
        self._workers.pop(address, None)
        self._refresh_soon()

    def _refresh_soon(self) -> None:
        if not self._refreshing:
            self._refreshing = True
            self._client.loop.add_callback(self._refresh)

    async def _refresh(self) -> None:
        """Ask the scheduler which workers run; failures leave the list as it is (tasks still work)."""
        self._refreshing = True
        try:
            identity = await self._client.scheduler.identity(n_workers=-1)
        except Exception as error:
            logger.debug("asking the dask scheduler for its workers failed: %r", error)
        else:
            now = time.monotonic()
            self._suspects = {a: t for a, t in self._suspects.items() if now - t < _SUSPECT_S}
            self._workers = {
                address: max(1, int(info.get("nthreads", 1)))
                for address, info in identity.get("workers", {}).items()
                if info.get("status", "running") == "running" and address not in self._suspects
            }
        finally:
            self._refreshed = time.monotonic()
            self._refreshing = False
