"""Workloads (g) and (h) of issue 15: one job on a fresh flow, along a long chain and with many items."""

from __future__ import annotations

import statistics
from typing import Any

from .floors import chain_router
from .flows import chain_flow, run_job
from .measuring import measure, measure_fresh
from .report import Row
from .routing import expected_chain
from .sizes import Sizes


def bench_fresh_chain(label: str, unit: str, goal: str, sizes: Sizes, length: int, messages: int,
                      per: int, strategy: str = "sequential") -> Row:
    """One job of ``messages`` through ``chain_flow(seen, length)``, each on a fresh flow, vs by hand.

    Both figures are the median of ``sizes.scale_reps`` timings divided by ``per`` (steps or
    items); building the flow (or the floor's router) is not timed.

    Args:
        strategy: the flow's executor; any other than ``sequential`` is named in the label.
    """
    if strategy != "sequential":
        label += f", {strategy}"
    reps = sizes.scale_reps
    want = expected_chain(messages, length)
    seen: list[Any] = []

    def build() -> Any:
        seen.clear()
        return chain_flow(seen, length, flow_id="bench-fresh", strategy=strategy)

    fw, fw_ok = measure_fresh(reps, build, lambda flow: run_job(flow, {"count": messages}),
                              lambda _: seen == want)

    floor_seen: list[Any] = []
    routers = []

    def reset() -> None:
        floor_seen.clear()
        routers[:] = [chain_router(floor_seen, length)]

    fl, floor_ok = measure(reps, lambda: routers[0].run(0, messages), lambda _: floor_seen == want,
                           reset, summary=statistics.median)
    return Row(label, unit, fw / per * 1e6, fl / per * 1e6, fw_ok and floor_ok,
               note=f"execute -> wait, median of {reps}; goal {goal}")


def bench_long_chain(sizes: Sizes, strategy: str = "sequential") -> Row:
    """(g): a chain of N distinct routines, one message, one job on a fresh flow: cost per step."""
    n = sizes.long_chain
    # N routines: the source, N - 2 relays and the sink; every routine is one step.
    return bench_fresh_chain(f"(g) chain of {n:,} distinct routines, one job, fresh flow", "us/step",
                             "<= 2 us/step", sizes, n - 1, 1, n, strategy)


def bench_items(sizes: Sizes, strategy: str = "sequential") -> Row:
    """(h): one source, M items through one routine into a sink, one job on a fresh flow: cost per item."""
    m = sizes.items
    return bench_fresh_chain(f"(h) {m:,} items: source -> routine -> sink, one job, fresh flow",
                             "us/item", "<= 2 us/item", sizes, 2, m, m, strategy)


def bench_scale_synchronous(sizes: Sizes) -> list[Row]:
    """(g) and (h) on the ``synchronous`` executor: every activation in the calling thread."""
    return [bench_long_chain(sizes, "synchronous"), bench_items(sizes, "synchronous")]
