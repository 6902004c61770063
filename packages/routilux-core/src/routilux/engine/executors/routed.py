"""The executors of routines that run elsewhere than on their flow's (``flow.set_routine_executor``)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, final

from routilux.engine.executors.base import ActivationRunner, Executor, ExecutorChoice

__all__ = ["RoutineExecutors"]


@final
class RoutineExecutors:
    """Which routines run on which :class:`ExecutorChoice`, and the executors started for them.

    Args:
        runner: what each executor is started with (the flow's engine).
        factory: creates the executor of a choice.
    """

    def __init__(self, runner: ActivationRunner, factory: Callable[[ExecutorChoice], Executor]) -> None:
        self._runner = runner
        self._factory = factory
        self._lock = threading.Lock()
        self.choices: dict[Any, ExecutorChoice] = {}
        self._started: dict[ExecutorChoice, Executor] = {}

    def choose(self, routine: Any, choice: ExecutorChoice | None) -> None:
        """``routine`` runs on ``choice`` from now on (None: on the flow's executor)."""
        with self._lock:
            if choice is None:
                self.choices.pop(routine, None)
            else:
                self.choices[routine] = choice

    def forget(self) -> None:
        """Every routine runs on the flow's executor again."""
        with self._lock:
            self.choices.clear()

    def of(self, routine: Any) -> Executor | None:
        """The executor ``routine`` runs on (created and started on first use), None for the flow's."""
        choice = self.choices.get(routine)
        if choice is None:
            return None
        executor = self._started.get(choice)
        if executor is None:
            with self._lock:
                executor = self._started.get(choice)
                if executor is None:
                    executor = self._factory(choice)
                    executor.start(self._runner)
                    self._started[choice] = executor
        return executor

    def shutdown(self, wait: bool = True) -> None:
        """Shut the started executors down; the next activation starts them anew."""
        with self._lock:
            started, self._started = list(self._started.values()), {}
        for executor in started:
            executor.shutdown(wait=wait)
