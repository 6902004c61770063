"""Workload (f): the memory a chain job keeps, and its peak, per activation."""

from __future__ import annotations

from typing import Any

from .floors import floor_chain
from .flows import chain_flow, run_job
from .measuring import traced
from .report import Row
from .routing import expected_chain
from .sizes import CHAIN_LENGTH, Sizes


def bench_memory(sizes: Sizes) -> list[Row]:
    """(f): bytes per activation of a chain job, kept after it and at its peak, under tracemalloc."""
    m = sizes.memory_messages
    activations = CHAIN_LENGTH * m
    ok = True

    seen: list[Any] = []
    flow = chain_flow(seen)
    try:
        run_job(flow, {"count": 10})
        seen.clear()
        # The job's JobState is kept (returned), as a caller holding it would.
        retained, peak, job = traced(lambda: run_job(flow, {"count": m}))
        ok = ok and seen == expected_chain(m)
        del job
    finally:
        flow.shutdown()

    floor_seen: list[Any] = []
    f_retained, f_peak, _ = traced(lambda: floor_chain(floor_seen, m))
    ok = ok and floor_seen == expected_chain(m)
    label = f"(f) memory, chain of {CHAIN_LENGTH}, M={m}"
    return [
        Row(label + ": retained", "B/activation", retained / activations, f_retained / activations, ok,
            note="held after the job, JobState kept; floor keeps only the results"),
        Row(label + ": peak", "B/activation", peak / activations, f_peak / activations, ok,
            note="tracemalloc peak during the job"),
    ]
