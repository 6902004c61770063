"""The ``dask`` executor: slot activations run on the workers of a Dask cluster.

How an activation travels
    The flow calls :meth:`DaskExecutor.submit` from whatever thread emitted; it
    only appends the activation to a local queue. One pump thread per
    executor takes activations in submit order while fewer than
    ``max_workers`` are in flight, calls ``runner.prepare_remote(activation)``
    (the slot's merge happens here, locally, in submit order), pickles the
    returned :class:`~routilux.RemoteCall` and submits it to the cluster
    (:mod:`routilux_dask.wire` holds what crosses to the worker and back, and
    the picklability contract). On the worker the handler runs with its emits
    captured; the :class:`~routilux.RemoteResult` comes back and the pump hands
    it to ``runner.finish_remote``, which routes the emits and applies the
    routine's error strategy exactly as for a local run. Ordering guarantees,
    error strategies (RETRY re-submits through the engine), job state,
    history, pause/resume/cancel and ``JobState.wait_for_completion``
    therefore behave as with the ``concurrent`` executor; with
    ``max_workers=1`` activations also run one at a time in submit order.
    Activations are opaque here: the executor only hands them back to the runner.

Lost workers
    If a worker process dies while running an activation, the scheduler
    reschedules the task on another worker up to the cluster's
    ``distributed.scheduler.allowed-failures`` times. When it gives up
    (``KilledWorker``), or the connection to the cluster is lost, or the task
    is cancelled, the activation finishes with
    ``RemoteResult.lost("worker running <routine> died: ...")``: the error
    strategy decides (RETRY re-submits, STOP fails the job with that error).
    A job never waits forever on a dead worker.
"""

from __future__ import annotations

import collections
import logging
import pickle
import queue
import threading
import traceback
from typing import Any

from routilux import Activation, ActivationRunner, RemoteResult
from routilux_dask.local_cluster import shared_local_cluster
from routilux_dask.wire import (
    RoutinePicklingError,
    describe_routine,
    dumps_call,
    lost_errors,
    run_remote_batch,
)

logger = logging.getLogger("routilux_dask")

__all__ = ["DaskExecutor", "RoutinePicklingError", "dask_executor", "dumps_call"]


class DaskExecutor:
    """Runs a flow's slot activations on a Dask cluster.

    Options (``Flow(..., executor_options={...})``):

    ``address``
        Scheduler address (``"tcp://host:8786"``) of an existing cluster. The
        executor connects a client of its own and closes only that client on
        shutdown. When neither ``address`` nor ``client`` is given, dask's own
        ``scheduler-address`` setting is used if set (``DASK_SCHEDULER_ADDRESS``).
    ``client``
        An existing ``distributed.Client`` to use; it is never closed by the executor.
    ``n_workers``, ``threads_per_worker``, ``processes``
        Shape of the ``LocalCluster`` used when no cluster is given (default
        2 worker *processes* of 1 thread). That cluster is the process's
        shared one for this shape (:mod:`routilux_dask.local_cluster`): started
        by the first flow that needs it, kept across flows and shutdowns,
        closed at interpreter exit. Its start raises
        :class:`~routilux_dask.local_cluster.DaskStartupError` when the worker
        processes cannot start (a script without ``if __name__ == "__main__":``).
    ``cluster_kwargs``, ``client_kwargs``
        Extra keyword arguments for ``LocalCluster`` (part of its shape) and ``Client`` (the
        client defaults to ``direct_to_workers=True``: results come straight
        from the workers; pass ``{"direct_to_workers": False}`` when the
        workers cannot be reached from here).

    ``max_batch``
        At most this many activations travel in one dask task (default 16;
        1 sends each activation as a task of its own). When activations wait,
        each task takes a share of the backlog that shrinks with it (guided
        self-scheduling), amortising dask's per-task cost without leaving a
        worker idle at the end.

    ``max_workers`` (the flow's) is the number of activations in flight on the
    cluster at once; more wait, in submit order, in a local queue, so that
    ``submit`` never blocks the thread that emitted.

    Threads: ``submit`` and task completions only post to an inbox. One pump
    thread per executor owns the rest (the local queue, the in-flight count,
    ``prepare_remote``, pickling, ``client.submit`` and ``finish_remote``);
    results are awaited concurrently on the client's event loop.
    """

    def __init__(
        self,
        max_workers: int = 5,
        *,
        address: str | None = None,
        client: Any = None,
        n_workers: int = 2,
        threads_per_worker: int = 1,
        processes: bool = True,
        cluster_kwargs: dict[str, Any] | None = None,
        client_kwargs: dict[str, Any] | None = None,
        max_batch: int = 16,
    ) -> None:
        if not isinstance(max_workers, int) or isinstance(max_workers, bool) or max_workers < 1:
            raise ValueError(f"max_workers must be a positive int, got {max_workers!r}")
        if address is not None and client is not None:
            raise ValueError("give the dask executor either 'address' or 'client', not both")
        for name, value in (
            ("n_workers", n_workers), ("threads_per_worker", threads_per_worker), ("max_batch", max_batch)
        ):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        self.max_workers = max_workers
        self.address = address
        self.n_workers = n_workers
        self.threads_per_worker = threads_per_worker
        self.processes = processes
        self.cluster_kwargs: dict[str, Any] = dict(cluster_kwargs or {})
        self.client_kwargs: dict[str, Any] = dict(client_kwargs or {})
        self._given_client = client
        self._client: Any = None
        self._cluster: Any = None  # the shared LocalCluster in use, if any
        self._runner: ActivationRunner | None = None
        self._lock = threading.Lock()  # guards _accepting and the start/stop of the pump
        self._accepting = False
        self._inbox: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        self._pump: threading.Thread | None = None
        self._lost: tuple[type[BaseException], ...] = ()
        self.max_batch = max_batch
        # Owned by the pump thread only.
        self._pending: collections.deque[Activation] = collections.deque()
        self._inflight = 0
        self._threads: int | None = None

    # -- life cycle ------------------------------------------------------------------------------

    @property
    def client(self) -> Any:
        """The ``distributed.Client`` in use (None before ``start`` and after ``shutdown``)."""
        return self._client

    @property
    def cluster(self) -> Any:
        """The shared ``LocalCluster`` in use, or None (with ``address``/``client``, before ``start``
        and after ``shutdown``)."""
        return self._cluster

    def start(self, runner: ActivationRunner) -> None:
        """Connect to the cluster (starting the shared LocalCluster if needed) and start the pump thread.

        Raises:
            DaskStartupError: the LocalCluster's worker processes could not start.
        """
        with self._lock:
            self._runner = runner
            self._lost = lost_errors()
            if self._client is None:
                self._client, self._cluster = self._connect()
            if self._pump is None:
                self._pump = threading.Thread(target=self._pump_loop, name="routilux-dask-pump", daemon=True)
                self._pump.start()
            self._accepting = True

    def _connect(self) -> tuple[Any, Any]:
        import dask
        from distributed import Client

        if self._given_client is not None:
            return self._given_client, None
        # Results are fetched from the workers directly, not relayed by the scheduler.
        client_options: dict[str, Any] = {"direct_to_workers": True, **self.client_kwargs}
        address = self.address or dask.config.get("scheduler-address", None)
        if address:
            return Client(address, set_as_default=False, **client_options), None
        cluster = shared_local_cluster({
            "n_workers": self.n_workers,
            "threads_per_worker": self.threads_per_worker,
            "processes": self.processes,
            "dashboard_address": ":0",
            **self.cluster_kwargs,
        })
        return Client(cluster, set_as_default=False, **client_options), cluster

    def shutdown(self, wait: bool = True) -> None:
        """Finish the work already submitted, then close our client.

        Activations emitted by the work still in flight are run too. With
        ``wait=False`` this returns at once and the rest happens on the pump
        thread. A user-supplied ``client`` is left open, and so is the shared
        LocalCluster (other flows may use it; it closes at interpreter exit).
        """
        with self._lock:
            pump = self._pump
            if pump is None:
                return
            self._pump = None
        self._inbox.put((_STOP,))
        if wait and pump is not threading.current_thread():
            pump.join()

    def _close(self) -> None:
        """Close our client (the shared LocalCluster stays); runs on the pump thread once all is done."""
        with self._lock:
            self._accepting = False
            client = self._client
            self._client = self._cluster = None
        if client is not None and client is not self._given_client:
            try:
                client.close()
            except Exception:
                logger.warning("Closing the dask client failed", exc_info=True)

    # -- the pump ------------------------------------------------------------------------------------

    def submit(self, activation: Activation) -> None:
        """Queue ``activation``; it is sent to the cluster once a place in flight is free."""
        if not self._accepting:
            raise RuntimeError("the dask executor is shut down (or was never started)")
        self._inbox.put((_SUBMIT, activation))

    def _pump_loop(self) -> None:
        get, get_nowait = self._inbox.get, self._inbox.get_nowait
        pending = self._pending
        stopping = False
        while True:
            item = get()
            while True:
                kind = item[0]
                if kind is _SUBMIT:
                    pending.append(item[1])
                elif kind is _DONE:
                    self._inflight -= 1
                    self._settle(*item[1:])
                elif kind is _BATCH_DONE:
                    self._settle_batch(*item[1:])
                else:
                    stopping = True
                # Take in everything already posted before deciding what to send:
                # a burst of emits then travels in a few tasks, not one task each.
                try:
                    item = get_nowait()
                except queue.Empty:
                    break
            while pending and self._inflight < self.max_workers:
                size = self._batch_size(len(pending))
                if size == 0:
                    break
                self._inflight += size
                self._launch([pending.popleft() for _ in range(size)])
            if stopping and not pending and self._inflight == 0:
                self._close()
                return

    def _batch_size(self, waiting: int) -> int:
        """How many waiting activations to send in the next task, 0 to wait (guided self-scheduling).

        Each dask task costs a few milliseconds of scheduling; sending a share
        of the backlog per task amortises that, and the share shrinks with the
        backlog so the last tasks are small and the workers finish together.
        A task never takes more than half of a worker thread's share of the
        places in flight, so each worker has a next task queued while the
        result of its last one travels back.
        """
        threads = self._worker_threads()
        free = self.max_workers - self._inflight
        share = min(waiting // (_BATCH_SPREAD * threads), self.max_workers // (2 * threads), self.max_batch)
        share = max(1, share)
        if free < share and self._inflight >= self.max_workers // 2:
            return 0  # enough is in flight: wait for places to send a full share
        return min(free, share)

    def _worker_threads(self) -> int:
        if self._threads is None:
            try:
                self._threads = max(1, sum(self._client.nthreads().values()))
            except Exception:
                self._threads = self.n_workers * self.threads_per_worker
        return self._threads

    def _launch(self, batch: list[Activation]) -> None:
        """Prepare, pickle and submit activations as one task (on the pump thread); never raises."""
        runner = self._runner
        assert runner is not None, "DaskExecutor.start() was not called"
        ready: list[Activation] = []
        payloads: list[bytes] = []
        names: list[str] = []
        for activation in batch:
            try:
                call = runner.prepare_remote(activation)
            except Exception:
                logger.exception("prepare_remote failed for a dask activation")  # never raises by contract
                call = None
            if call is None:
                self._inflight -= 1  # paused, cancelled or failed in the merge: the runner dealt with it
                continue
            name = describe_routine(call.routine, call.routine_id)
            try:
                payloads.append(dumps_call(call))
            except RoutinePicklingError as error:
                logger.error("%s", error)
                self._inbox.put((_DONE, activation, name, None, error))
                continue
            ready.append(activation)
            names.append(name)
        if not ready:
            return
        try:
            future = self._client.submit(run_remote_batch, payloads, names, pure=False)
        except Exception as error:
            for activation, name in zip(ready, names):
                self._inbox.put((_DONE, activation, name, None, error))
            return
        self._client.loop.add_callback(self._track, future, ready, names)

    async def _track(self, future: Any, batch: list[Activation], names: list[str]) -> None:
        """On the client's event loop: wait for the task and fetch its results, concurrently with others."""
        try:
            data = await self._client.gather(future, asynchronous=True)
        except BaseException as error:  # CancelledError is a BaseException
            self._inbox.put((_BATCH_DONE, batch, names, None, error))
        else:
            self._inbox.put((_BATCH_DONE, batch, names, data, None))
        finally:
            future.release()

    def _settle_batch(
        self, batch: list[Activation], names: list[str], data: list[bytes] | None, error: Any
    ) -> None:
        self._inflight -= len(batch)
        for index, (activation, name) in enumerate(zip(batch, names)):
            self._settle(activation, name, None if data is None else data[index], error)

    def _settle(self, activation: Activation, name: str, data: bytes | None, error: Any) -> None:
        """Turn a task's outcome into a RemoteResult and hand it to the runner (on the pump thread)."""
        runner = self._runner
        assert runner is not None
        result = self._result_of(name, data, error)
        try:
            runner.finish_remote(activation, result)
        except Exception:
            # finish_remote never raises by contract; a bug must not stop the pump.
            logger.exception("finish_remote failed for a dask activation of routine %s", name)

    def _result_of(self, name: str, data: bytes | None, error: Any) -> RemoteResult:
        if isinstance(error, RoutinePicklingError):
            return RemoteResult(error=error, error_text=str(error))
        if error is not None:
            if isinstance(error, self._lost):
                reason = f"worker running routine {name} died: {type(error).__name__}: {error}"
                logger.error("%s", reason)
                return RemoteResult.lost(reason)
            message = f"routine {name} could not run on a dask worker: {type(error).__name__}: {error}"
            text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
            return RemoteResult(error=RuntimeError(message), error_text=f"{message}\n{text}")
        try:
            result: RemoteResult = pickle.loads(data)  # type: ignore[arg-type]
        except Exception as failure:
            message = (
                f"the result of routine {name} cannot be unpickled here: {type(failure).__name__}: {failure}"
            )
            return RemoteResult(error=RuntimeError(message), error_text=message)
        return result

    def __repr__(self) -> str:
        where = "LocalCluster" if self._cluster is not None else (self.address or "client")
        return f"DaskExecutor(max_workers={self.max_workers}, {where}, in_flight={self._inflight})"


_SUBMIT = "submit"
_DONE = "done"
_BATCH_DONE = "batch-done"
#: A task carries at most 1/(_BATCH_SPREAD * worker threads) of the waiting activations.
_BATCH_SPREAD = 4
_STOP = "stop"


def dask_executor(max_workers: int = 5, **options: Any) -> DaskExecutor:
    """The ``dask`` executor's factory: ``factory(max_workers=<int>, **executor_options)``."""
    return DaskExecutor(max_workers, **options)
