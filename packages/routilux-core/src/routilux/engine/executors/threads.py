"""Core's built-in executors: threads of this process.

``sequential`` runs activations one at a time, in submit order, on one worker
thread; ``concurrent`` runs them on up to ``max_workers`` threads. Both are the
same :class:`ThreadExecutor`: a C-implemented ``SimpleQueue`` feeding worker
threads that start on demand and exit after ``idle_timeout`` seconds without
work.
"""

from __future__ import annotations

import queue
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from routilux.engine.activation import Activation
    from routilux.engine.executors.base import ActivationRunner

__all__ = ["ThreadExecutor", "concurrent_executor", "sequential_executor"]

_STOP = object()


class ThreadExecutor:
    """Runs activations on up to ``max_workers`` threads of this process."""

    def __init__(self, max_workers: int = 1, *, idle_timeout: float = 2.0, name: str = "routilux") -> None:
        if not isinstance(max_workers, int) or isinstance(max_workers, bool) or max_workers < 1:
            raise ValueError(f"max_workers must be a positive int, got {max_workers!r}")
        if idle_timeout <= 0:
            raise ValueError(f"idle_timeout must be positive, got {idle_timeout!r}")
        self.max_workers = max_workers
        self.idle_timeout = idle_timeout
        self._name = name
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._idle = 0  # workers blocked waiting for work; changed under _lock
        self._room = True  # fewer workers than max_workers; changed under _lock with _threads
        self._runner: ActivationRunner | None = None

    def start(self, runner: ActivationRunner) -> None:
        self._runner = runner

    def submit(self, activation: Activation) -> None:
        self._queue.put(activation)
        # Read without the lock on purpose: a stale read only means one extra
        # check under the lock, and a worker never exits while work is queued.
        # A new worker is started while as many items wait as workers are idle, so a
        # burst gets up to max_workers threads even when some were idle as it began:
        # an idle worker takes one item, and one woken for an item counts as idle until
        # it gets the GIL (and the lock) back, which a burst from one thread can outlast.
        # Counting that worker as busy costs at most one thread more than needed.
        if self._room and self._queue.qsize() >= self._idle:
            self._add_worker()

    def _add_worker(self) -> None:
        with self._lock:
            if len(self._threads) >= self.max_workers or self._queue.qsize() < self._idle:
                return
            thread = threading.Thread(
                target=self._work, name=f"{self._name}-worker-{len(self._threads)}", daemon=True
            )
            self._threads.append(thread)
            self._room = len(self._threads) < self.max_workers
            thread.start()

    def _work(self) -> None:
        runner = self._runner
        assert runner is not None, "ThreadExecutor.start() was not called"
        run = runner.run
        get_nowait = self._queue.get_nowait
        while True:
            try:
                item = get_nowait()
            except queue.Empty:
                item = self._wait_for_work()
                if item is None:
                    return
            if item is _STOP:
                self._retire()
                return
            run(item)

    def _wait_for_work(self) -> Any:
        """Block for the next item; None when this worker has retired for idleness."""
        with self._lock:
            self._idle += 1
        try:
            item = self._queue.get(timeout=self.idle_timeout)
        except queue.Empty:
            with self._lock:
                # Leave the idle count and make room *before* the last look at the queue, under
                # the lock submit() takes to add workers: submit() puts first and reads these
                # after, so an item put after that look finds room and starts a new worker.
                # (Making room after the look let such an item wait for the next submit.)
                self._idle -= 1
                current = threading.current_thread()
                self._threads.remove(current)
                self._room = True
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    return None
                self._threads.append(current)  # work after all: this worker stays
                self._room = len(self._threads) < self.max_workers
                return item
        with self._lock:
            self._idle -= 1
        return item

    def _retire(self) -> None:
        with self._lock:
            if threading.current_thread() in self._threads:
                self._threads.remove(threading.current_thread())
                self._room = True

    def shutdown(self, wait: bool = True) -> None:
        """Stop the workers once the work queued before this call is done."""
        with self._lock:
            threads = list(self._threads)
        for _ in threads:
            self._queue.put(_STOP)
        if wait:
            current = threading.current_thread()
            for thread in threads:
                if thread is not current:
                    thread.join()

    def __repr__(self) -> str:
        return f"ThreadExecutor(max_workers={self.max_workers}, threads={len(self._threads)})"


def sequential_executor(max_workers: int = 1, *, idle_timeout: float = 2.0) -> ThreadExecutor:
    """One worker thread: activations run one at a time, in submit order (``max_workers`` is unused)."""
    return ThreadExecutor(1, idle_timeout=idle_timeout, name="routilux-seq")


def concurrent_executor(max_workers: int = 5, *, idle_timeout: float = 2.0) -> ThreadExecutor:
    """Up to ``max_workers`` threads; no ordering between activations."""
    return ThreadExecutor(max_workers, idle_timeout=idle_timeout, name="routilux-conc")
