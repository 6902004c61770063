"""Workload (e): whether the concurrent executor keeps its workers busy on I/O waits."""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from routilux import Flow

from .flows import Sleeper, Source, run_job
from .measuring import measure, measure_flow
from .report import Row
from .sizes import IO_ROUTINES, IO_SLEEP, IO_WORKERS, Sizes


def bench_io(sizes: Sizes) -> Row:
    """(e): IO_ROUTINES sleeps on IO_WORKERS workers, as a fraction of the ideal wall time."""
    ideal = math.ceil(IO_ROUTINES / IO_WORKERS) * IO_SLEEP

    seen: list[Any] = []
    flow = Flow(flow_id="bench-io", execution_strategy="concurrent", max_workers=IO_WORKERS)
    flow.add_routine(Source(), "src")
    for index in range(IO_ROUTINES):
        flow.add_routine(Sleeper(seen, index), f"io{index}")
        flow.connect("src", "out", f"io{index}", "in")
    fw, fw_ok = measure_flow(flow, lambda: run_job(flow, {"count": 1}),  # starts the worker threads
                             sizes.io_reps, lambda: run_job(flow, {"count": 1}),
                             lambda _: sorted(seen) == list(range(IO_ROUTINES)), seen.clear)

    with ThreadPoolExecutor(max_workers=IO_WORKERS) as pool:
        def sleeper(tag: int) -> int:
            time.sleep(IO_SLEEP)
            return tag

        list(pool.map(sleeper, range(IO_WORKERS)))  # start the threads
        floor, floor_ok = measure(sizes.io_reps, lambda: list(pool.map(sleeper, range(IO_ROUTINES))),
                                  lambda done: done == list(range(IO_ROUTINES)))
    return Row(f"(e) io fan-out: {IO_ROUTINES} x {IO_SLEEP * 1e3:.0f} ms sleeps, concurrent, "
               f"{IO_WORKERS} workers", "efficiency", ideal / fw, ideal / floor, fw_ok and floor_ok,
               note=f"ideal {ideal * 1e3:.0f} ms; took {fw * 1e3:.1f} ms vs {floor * 1e3:.1f} ms "
                    "(ThreadPoolExecutor)",
               lower_is_better=False)
