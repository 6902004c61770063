"""Executors: the contract (:mod:`.base`) and core's own: threads of this process (:mod:`.threads`)
and the caller's thread (:mod:`.synchronous`).

This package is also core's built-in executor plugin: its hook registers
``sequential`` (one worker, strict FIFO), ``concurrent`` (a thread pool) and
``synchronous`` (in the emitting thread, before the outermost emit returns).
"""

from __future__ import annotations

from routilux.engine.executors.base import ActivationRunner, Executor
from routilux.engine.executors.synchronous import SynchronousExecutor, synchronous_executor
from routilux.engine.executors.threads import ThreadExecutor, concurrent_executor, sequential_executor
from routilux.plugins.hookspecs import hookimpl
from routilux.plugins.specs import ExecutorSpec

__all__ = [
    "ActivationRunner",
    "Executor",
    "SynchronousExecutor",
    "ThreadExecutor",
    "concurrent_executor",
    "routilux_register_executors",
    "sequential_executor",
    "synchronous_executor",
]


@hookimpl
def routilux_register_executors() -> list[ExecutorSpec]:
    return [
        ExecutorSpec(name="sequential", factory=sequential_executor,
                     description="one worker thread, strict FIFO order"),
        ExecutorSpec(name="concurrent", factory=concurrent_executor,
                     description="a pool of up to max_workers threads"),
        ExecutorSpec(name="synchronous", factory=synchronous_executor,
                     description="the emitting thread, before the outermost emit returns; no threads"),
    ]
