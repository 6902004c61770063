"""A third-party plugin as a separate distribution would ship it.

* executor ``inline``: runs each activation at once, on the submitting thread, through
  ``runner.run`` (the in-process path of the executor contract);
* executor ``remote-thread``: runs each activation "elsewhere" through the remote path of
  the contract: ``runner.prepare_remote`` on the submitting thread, ``RemoteCall.run()`` on a
  thread of its own (optionally after a pickle round trip, as a real remote executor ships the
  call), then ``runner.finish_remote`` with the (round-tripped) result;
* error strategy ``circuit_breaker``: the first ``failure_threshold - 1`` failures under one
  handler CONTINUE, from the ``failure_threshold``-th on it STOPs.

``HOOK_CALLS`` counts hook calls: hooks run once per registry, never per activation.
``CREATED`` lists the executors the factories built, with the options they got.
"""

from __future__ import annotations

import pickle
import queue
import threading
from collections import Counter
from typing import Any

from routilux import RemoteResult
from routilux.error_handler import ErrorAction, ErrorDecision
from routilux.plugins import ErrorStrategySpec, ExecutorSpec, hookimpl

HOOK_CALLS: Counter = Counter()
CREATED: list[Any] = []
DEFAULT_FAILURE_THRESHOLD = 3

_STOP = object()


class InlineExecutor:
    def __init__(self, max_workers: int, **options: Any) -> None:
        self.max_workers = max_workers
        self.options = options
        self.runner: Any = None
        self.submitted = 0
        self.started = 0
        self.shut_down = False
        CREATED.append(self)

    def start(self, runner: Any) -> None:
        self.runner = runner
        self.started += 1

    def submit(self, activation: Any) -> None:
        self.submitted += 1
        self.runner.run(activation)

    def shutdown(self, wait: bool = True) -> None:
        self.shut_down = True


class RemoteThreadExecutor:
    """Ships activations to a "remote" worker thread and brings their results back."""

    def __init__(self, max_workers: int, *, pickle_calls: bool = True, **options: Any) -> None:
        self.max_workers = max_workers
        self.pickle_calls = pickle_calls
        self.options = options
        self.runner: Any = None
        self.remote_threads: list[str] = []
        self.skipped = 0  # prepare_remote said "do not run"
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread: threading.Thread | None = None
        CREATED.append(self)

    def start(self, runner: Any) -> None:
        self.runner = runner
        self._thread = threading.Thread(target=self._remote_worker, name="fake-remote-worker", daemon=True)
        self._thread.start()

    def submit(self, activation: Any) -> None:
        call = self.runner.prepare_remote(activation)
        if call is None:
            self.skipped += 1
            return
        self._queue.put((activation, call))

    def _remote_worker(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            activation, call = item
            try:
                if self.pickle_calls:
                    call = pickle.loads(pickle.dumps(call))
                self.remote_threads.append(threading.current_thread().name)
                result = call.run()
                if self.pickle_calls:
                    result = pickle.loads(pickle.dumps(result))
            except Exception as error:  # the call could not be shipped or its result not returned
                result = RemoteResult.lost(f"remote execution failed: {type(error).__name__}: {error}")
            self.runner.finish_remote(activation, result)

    def shutdown(self, wait: bool = True) -> None:
        self._queue.put(_STOP)
        if wait and self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()


def inline_executor(max_workers: int = 1, **options: Any) -> InlineExecutor:
    return InlineExecutor(max_workers, **options)


def remote_thread_executor(max_workers: int = 1, **options: Any) -> RemoteThreadExecutor:
    return RemoteThreadExecutor(max_workers, **options)


def decide_circuit_breaker(handler: Any, error: BaseException, context: Any) -> ErrorDecision:
    threshold = getattr(handler, "failure_threshold", DEFAULT_FAILURE_THRESHOLD)
    failures = getattr(handler, "circuit_failures", 0) + 1
    handler.circuit_failures = failures
    if failures >= threshold:
        return ErrorDecision(action=ErrorAction.STOP, proceed=False)
    return ErrorDecision(action=ErrorAction.CONTINUE, proceed=True)


@hookimpl
def routilux_register_executors() -> list[ExecutorSpec]:
    HOOK_CALLS["routilux_register_executors"] += 1
    return [
        ExecutorSpec(name="inline", factory=inline_executor, description="runs activations inline"),
        ExecutorSpec(name="remote-thread", factory=remote_thread_executor,
                     description="runs activations through the remote contract on a thread"),
    ]


@hookimpl
def routilux_register_error_strategies() -> list[ErrorStrategySpec]:
    HOOK_CALLS["routilux_register_error_strategies"] += 1
    return [
        ErrorStrategySpec(name="circuit_breaker", decide=decide_circuit_breaker,
                          description="continue until failure_threshold failures, then stop"),
    ]

