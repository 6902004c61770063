"""Timing and tracing: best-of-N (or median) timings with a result check, and tracemalloc figures."""

from __future__ import annotations

import gc
import os
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from routilux import Flow

from .floors import HandoffWorker

#: How a list of timings becomes one figure: the best (rows (a)-(f)) or the median (rows (g)-(k)).
Summary = Callable[[list[float]], float]


def best_of(reps: int, fn: Callable[[], float], summary: Summary = min) -> float:
    """``summary`` (default: the smallest) of ``reps`` timings; each call of ``fn`` returns its own
    elapsed seconds."""
    results = []
    for _ in range(reps):
        gc.collect()
        results.append(fn())
    return summary(results)


def measure(reps: int, run: Callable[[], Any], check: Callable[[Any], bool],
            reset: Callable[[], None] | None = None, summary: Summary = min) -> tuple[float, bool]:
    """Best (or ``summary``) of ``reps`` timings of ``run()``, and whether ``check(result)`` held
    every time.

    ``reset`` runs before each timing and the check after it; neither is timed.
    """
    ok = True

    def once() -> float:
        nonlocal ok
        if reset is not None:
            reset()
        t0 = time.perf_counter()
        result = run()
        elapsed = time.perf_counter() - t0
        ok = ok and check(result)
        return elapsed

    return best_of(reps, once, summary), ok


def measure_fresh(reps: int, build: Callable[[], Flow], run: Callable[[Flow], Any],
                  check: Callable[[Any], bool], summary: Summary = statistics.median
                  ) -> tuple[float, bool]:
    """``summary`` of ``reps`` timings of ``run(flow)``, each on a new flow from ``build()``.

    Building, the check and the flow's shutdown are not timed.
    """
    ok = True

    def once() -> float:
        nonlocal ok
        flow = build()
        gc.collect()
        try:
            t0 = time.perf_counter()
            result = run(flow)
            elapsed = time.perf_counter() - t0
            ok = ok and check(result)
        finally:
            flow.shutdown()
        return elapsed

    return best_of(reps, once, summary), ok


def measure_flow(flow: Flow, warm_up: Callable[[], Any], reps: int, run: Callable[[], Any],
                 check: Callable[[Any], bool], reset: Callable[[], None] | None = None,
                 summary: Summary = min) -> tuple[float, bool]:
    """``measure`` on a flow after ``warm_up()`` (threads, executor, caches); shuts the flow down."""
    try:
        warm_up()
        return measure(reps, run, check, reset, summary)
    finally:
        flow.shutdown()


def measure_handoff(reps: int, run: Callable[[HandoffWorker], Any],
                    check: Callable[[Any], bool]) -> tuple[float, bool]:
    """``measure`` of ``run(worker)`` on a fresh HandoffWorker, closed afterwards."""
    worker = HandoffWorker()
    try:
        return measure(reps, lambda: run(worker), check)
    finally:
        worker.close()


def traced(fn: Callable[[], Any]) -> tuple[int, int, Any]:
    """Run ``fn`` under tracemalloc: (bytes still held afterwards, peak bytes, fn's result)."""
    gc.collect()
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        result = fn()
        gc.collect()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return current - base, peak - base, result


def pin_to_one_core() -> None:
    """Keep this process on the lowest CPU it may use (threads started later inherit it).

    Raises:
        SystemExit: the platform has no ``os.sched_setaffinity`` (Linux has it).
    """
    if not hasattr(os, "sched_setaffinity"):
        raise SystemExit("--one-core needs os.sched_setaffinity, which this platform lacks")
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
