"""Core's ``synchronous`` executor: activations run in the thread that submits them; it has no threads.

An emit outside any activation of this executor (the entry's ``trigger``, a
resume, a timer's retry) runs the activations it causes, and the ones those
cause, before it returns: ``Flow.execute`` then returns a finished job, with no
thread handoff on the way. An emit from inside one of its activations only
queues, so a long chain runs as a loop, not as nested calls, and the order is
the submit order (breadth-first from the outermost emit), as in ``sequential``
mode.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import TYPE_CHECKING, final

if TYPE_CHECKING:
    from routilux.engine.activation import Activation
    from routilux.engine.executors.base import ActivationRunner

__all__ = ["SynchronousExecutor", "synchronous_executor"]


@final
class SynchronousExecutor:
    """Runs each activation in the submitting thread, before the outermost ``submit`` returns.

    Each thread drains its own queue: several threads may submit at once (jobs
    executed from several threads each run in their caller), and their
    activations never share a queue.
    """

    def __init__(self) -> None:
        self._draining = threading.local()
        self._runner: ActivationRunner | None = None

    def start(self, runner: ActivationRunner) -> None:
        self._runner = runner

    def submit(self, activation: Activation) -> None:
        pending: deque[Activation] | None = getattr(self._draining, "pending", None)
        if pending is not None:
            pending.append(activation)  # this thread is running one of ours: it runs this next
            return
        runner = self._runner
        assert runner is not None, "SynchronousExecutor.start() was not called"
        pending = self._draining.pending = deque((activation,))
        run, popleft = runner.run, pending.popleft
        try:
            while pending:
                run(popleft())  # never raises (the runner's contract)
        finally:
            self._draining.pending = None

    def shutdown(self, wait: bool = True) -> None:
        """Nothing to stop: every activation has run by the time its ``submit`` returned."""

    def __repr__(self) -> str:
        return "SynchronousExecutor()"


def synchronous_executor(max_workers: int = 1) -> SynchronousExecutor:
    """The ``synchronous`` executor: it takes no options (``max_workers`` is accepted and unused:
    it starts no thread)."""
    return SynchronousExecutor()
