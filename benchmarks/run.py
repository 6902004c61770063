"""routilux benchmarks: each figure next to a plain-Python floor measured in the same run.

    python benchmarks/run.py [--quick] [--one-core]

Run it with an interpreter whose environment holds the installed routilux distributions
(``tox -e bench`` does that). Only the public API is used. Every workload checks its own result
(the exact messages, and their order where the mode promises one); a wrong result is reported as
FAIL and makes the script exit with status 1. See benchmarks/README.md for what each figure means.
The workloads live in the ``workloads`` package next to this script.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from typing import Any

from workloads.building import bench_build, bench_first_job
from workloads.io_fanout import bench_io
from workloads.jobs import (
    bench_latency,
    bench_pipeline_jobs,
    bench_pipeline_jobs_synchronous,
    bench_pipelined,
)
from workloads.measuring import pin_to_one_core
from workloads.memory import bench_memory
from workloads.report import Row, machine, print_table
from workloads.routing import bench_chain, bench_fanout
from workloads.scale import bench_items, bench_long_chain, bench_scale_synchronous
from workloads.sizes import FULL, QUICK, Sizes

try:
    from routilux import __version__ as ROUTILUX_VERSION
except ImportError:  # pragma: no cover - reported, not fatal
    ROUTILUX_VERSION = "?"


def main(argv: list[str] | None = None) -> int:
    """Run every workload, print the report; 1 if a workload failed or a result was wrong, else 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one repetition (a smoke run)")
    parser.add_argument("--one-core", action="store_true",
                        help="pin the process (and the threads it starts) to one CPU, as taskset -c N does")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if args.one_core:
        pin_to_one_core()

    print(f"routilux {ROUTILUX_VERSION} on Python {platform.python_version()} "
          f"({platform.python_implementation()}, {sys.executable})")
    print(f"machine: {machine()}")
    if hasattr(os, "sched_getaffinity"):
        print(f"cpus this process may use: {sorted(os.sched_getaffinity(0))}")
    print(f"mode: {'quick' if args.quick else 'full'} (best of {sizes.reps}; io best of {sizes.io_reps}; "
          f"(g)-(j) median of {sizes.scale_reps}; (k) median of {sizes.first_job_processes} processes)")
    print()

    rows: list[Row] = []
    failures: list[str] = []
    workloads: list[Callable[[Sizes], Any]] = [
        bench_chain, bench_fanout, bench_latency, bench_pipelined, bench_io, bench_memory,
        bench_long_chain, bench_items, bench_scale_synchronous, bench_pipeline_jobs,
        bench_pipeline_jobs_synchronous, bench_build, bench_first_job,
    ]
    for workload in workloads:
        t0 = time.perf_counter()
        try:
            result = workload(sizes)
        except Exception as exc:  # a broken workload is a failure, the others still run
            failures.append(f"{workload.__name__}: {type(exc).__name__}: {exc}")
            print(f"  {workload.__name__}: ERROR {type(exc).__name__}: {exc}", flush=True)
            continue
        new_rows = result if isinstance(result, list) else [result]
        rows.extend(new_rows)
        print(f"  {workload.__name__} done in {time.perf_counter() - t0:.1f} s", flush=True)
    print()
    if rows:
        print_table(rows)
    failures += [f"{r.name}: wrong result" for r in rows if not r.ok]
    if failures:
        print()
        print("FAILED:")
        for failure in failures:
            print(f"  {failure}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
