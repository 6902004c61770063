"""Workloads (j) and (k) of issue 15: building a long chain, and the first job of a process."""

from __future__ import annotations

import json
import math
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from routilux import Flow

from .bytecode import child_env
from .floors import floor_build
from .flows import chain_flow, run_job
from .measuring import measure
from .report import Row
from .routing import expected_chain
from .sizes import WAIT_TIMEOUT, Sizes

#: The directory holding the ``workloads`` package: the child of row (k) runs from there.
BENCHMARKS_DIR = Path(__file__).resolve().parent.parent


def bench_build(sizes: Sizes) -> Row:
    """(j): construct N routines (one slot, one event each), add them to a flow and connect them."""
    n = sizes.build_routines
    reps = sizes.scale_reps
    seen: list[Any] = []
    built: list[Flow] = []

    def build() -> Flow:
        flow = chain_flow(seen, n - 1, flow_id="bench-build")
        built.append(flow)
        return flow

    fw, fw_ok = measure(reps, build, lambda flow: len(flow.routines) == n and len(flow.connections) == n - 1,
                        built.clear, summary=statistics.median)
    # The flow just built must also run (not timed).
    flow = built[-1]
    try:
        run_job(flow, {"count": 1})
    finally:
        flow.shutdown()
    fw_ok = fw_ok and seen == expected_chain(1, n - 1)

    fl, floor_ok = measure(reps, lambda: floor_build(n - 1),
                           lambda made: len(made[0]) == n and len(made[1]) == n - 1,
                           summary=statistics.median)
    return Row(f"(j) building a chain of {n:,} routines", "us/routine", fw / n * 1e6, fl / n * 1e6,
               fw_ok and floor_ok,
               note=f"Routine() + define_slot/define_event + add_routine + connect, median of {reps}; "
                    "floor: the same structure in plain objects; goal <= 8 us/routine")


def first_job_in_process(routines: int) -> dict[str, Any]:
    """Run the child of row (k) once in a new process and return what it printed.

    The child reads its modules' bytecode from a cache, as from an installed wheel (see
    :mod:`.bytecode`): the set-up of a first job, not the compiling of routilux, is what (k) is.
    """
    done = subprocess.run(
        [sys.executable, "-m", "workloads.first_job", str(routines)], cwd=BENCHMARKS_DIR,
        capture_output=True, text=True, timeout=WAIT_TIMEOUT, check=False, env=child_env(),
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"first-job child exited with status {done.returncode}: {done.stderr.strip()[-500:]}"
        )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def bench_first_job(sizes: Sizes) -> Row:
    """(k): what the first job of a process pays once, over the next job, on chains of N routines."""
    n = sizes.long_chain
    first_job_in_process(n)  # untimed: writes the bytecode caches the timed children read
    runs = [first_job_in_process(n) for _ in range(sizes.first_job_processes)]
    setup = statistics.median(run["first"] - run["next"] for run in runs)
    first = statistics.median(run["first"] for run in runs)
    following = statistics.median(run["next"] for run in runs)
    return Row(f"(k) first job in a process: one-time set-up (chain of {n:,})", "ms", setup * 1e3,
               math.nan, all(run["ok"] for run in runs),
               note=f"first job minus the next, both on fresh flows, median of {len(runs)} processes: "
                    f"{first / n * 1e6:.1f} us/step on the first job, {following / n * 1e6:.1f} on the next")
