"""The ``dask`` executor: slot activations run on the workers of a Dask cluster.

How an activation travels
    The flow calls :meth:`DaskExecutor.submit` from whatever thread emitted; it
    only appends the activation to a local queue. One pump thread per
    executor takes activations in submit order while fewer than
    ``max_workers`` are in flight, calls ``runner.prepare_remote(activation)``
    (the slot's merge happens here, locally, in submit order), pickles the
    returned :class:`~routilux.RemoteCall` (:mod:`routilux_dask.wire`: what
    crosses to the worker and back, and the picklability contract) and hands a
    batch of them to :mod:`routilux_dask.dispatch`, which calls a worker
    directly (one round trip) or submits the batch as a dask task. On the
    worker the handler runs with its emits captured; the
    :class:`~routilux.RemoteResult` comes back and the pump hands it to
    ``runner.finish_remote``, which routes the emits and applies the routine's
    error strategy exactly as for a local run. Ordering guarantees, error
    strategies (RETRY re-submits through the engine), job state, history,
    pause/resume/cancel and ``JobState.wait_for_completion`` therefore behave
    as with the ``concurrent`` executor; with ``max_workers=1`` activations
    also run one at a time in submit order.

Lost workers
    If a worker process dies while running a direct call, its batch is sent
    again as a dask task; if one dies while running a task, the scheduler
    reschedules it, up to the cluster's ``distributed.scheduler.allowed-failures``
    times. When it gives up (``KilledWorker``), or the connection to the
    cluster is lost, or the task is cancelled, the activation finishes with
    ``RemoteResult.lost("worker running <routine> died: ...")``: the error
    strategy decides (RETRY re-submits, STOP fails the job with that error).
    A job never waits forever on a dead worker.
"""

from __future__ import annotations

import collections
import logging
import queue
import threading
from typing import Any

from routilux import Activation, ActivationRunner
from routilux_dask.dispatch import Dispatcher
from routilux_dask.local_cluster import shared_local_cluster
from routilux_dask.wire import (
    RoutinePicklingError,
    describe_routine,
    dumps_call,
    lost_errors,
    result_of,
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
        Extra keyword arguments for ``LocalCluster`` (part of its shape) and
        ``Client`` (default ``direct_to_workers=True``: task results come
        straight from the workers).
    ``direct``
        Call the workers directly (default True): a batch is one round trip
        to the least loaded worker, with no scheduler hop. False sends every
        batch as a dask task, placed by the scheduler: for workers that cannot
        be reached from here (with ``client_kwargs={"direct_to_workers": False}``).
    ``batch_interval``
        Seconds between the messages the executor's own client sends to the
        scheduler (dask's default, 10 ms, adds up to that to each task and
        release at one activation in flight); default 0.001. A given
        ``client`` keeps its own.
    ``max_batch``
        At most this many activations travel in one batch (default 16; 1
        sends each alone). When activations wait, each batch takes a share of
        the backlog that shrinks with it (guided self-scheduling), amortising
        the per-call cost without leaving a worker idle at the end.

    ``max_workers`` (the flow's) is the number of activations in flight on the
    cluster at once; more wait, in submit order, in a local queue, so that
    ``submit`` never blocks the thread that emitted.

    Threads: ``submit`` and batch completions only post to an inbox. One pump
    thread per executor owns the rest (the local queue, the in-flight count,
    ``prepare_remote``, pickling and ``finish_remote``); batches are sent and
    awaited concurrently on the client's event loop.
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
        direct: bool = True,
        batch_interval: float = 0.001,
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
        if not isinstance(direct, bool):
            raise ValueError(f"direct must be true or false, got {direct!r}")
        if isinstance(batch_interval, bool) or not isinstance(batch_interval, (int, float)) or not (
            0 <= batch_interval <= 1
        ):
            raise ValueError(f"batch_interval must be seconds from 0 to 1, got {batch_interval!r}")
        self.direct = direct
        self.batch_interval = float(batch_interval)
        self._dispatch: Dispatcher | None = None
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
                self._dispatch = Dispatcher(self._client, self._post_batch, direct=self.direct)
                self._dispatch.start()
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
        cluster = None
        if address:
            client = Client(address, set_as_default=False, **client_options)
        else:
            cluster = shared_local_cluster({
                "n_workers": self.n_workers,
                "threads_per_worker": self.threads_per_worker,
                "processes": self.processes,
                "dashboard_address": ":0",
                **self.cluster_kwargs,
            })
            client = Client(cluster, set_as_default=False, **client_options)
        # dask's client sends to the scheduler at most once per 10 ms; a task, its result's
        # release and the next task would each wait out that interval at one activation in flight.
        comm = getattr(client, "scheduler_comm", None)
        if comm is not None and hasattr(comm, "interval"):
            comm.interval = self.batch_interval
        return client, cluster

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
            self._client = self._cluster = self._dispatch = None
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
            known = self._dispatch.threads if self._dispatch is not None else 0
            try:
                self._threads = known or max(1, sum(self._client.nthreads().values()))
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
        if ready:
            assert self._dispatch is not None, "DaskExecutor.start() was not called"
            self._dispatch.send(ready, names, payloads)

    def _post_batch(
        self, batch: list[Activation], names: list[str], data: list[bytes] | None, error: BaseException | None
    ) -> None:
        """The dispatcher's report (on the client's event loop): the pump settles the batch."""
        self._inbox.put((_BATCH_DONE, batch, names, data, error))

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
        result = result_of(name, data, error, self._lost)
        try:
            runner.finish_remote(activation, result)
        except Exception:
            # finish_remote never raises by contract; a bug must not stop the pump.
            logger.exception("finish_remote failed for a dask activation of routine %s", name)

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
