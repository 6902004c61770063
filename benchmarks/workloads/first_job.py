"""The child process of row (k): the first job of a fresh process against the next one.

    python -m workloads.first_job N      (from the benchmarks directory)

Builds a chain of N routines (not timed), times one job on it (execute -> wait), then does
the same on a second fresh flow, and prints one JSON line: ``{"first": s, "next": s, "ok": bool}``.
Both jobs run on fresh flows, so their difference is what the process sets up once.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from typing import Any

from .flows import chain_flow, run_job
from .routing import expected_chain


def timed_job(length: int) -> tuple[float, bool]:
    """One job on a fresh ``chain_flow(seen, length)``: its seconds and whether the sink got the message."""
    seen: list[Any] = []
    flow = chain_flow(seen, length, flow_id="bench-first-job")
    gc.collect()
    try:
        t0 = time.perf_counter()
        run_job(flow, {"count": 1})
        elapsed = time.perf_counter() - t0
    finally:
        flow.shutdown()
    return elapsed, seen == expected_chain(1, length)


def main(argv: list[str]) -> int:
    """Time the first and the next job of this process on chains of ``argv[0]`` routines."""
    routines = int(argv[0])
    first, first_ok = timed_job(routines - 1)
    following, next_ok = timed_job(routines - 1)
    print(json.dumps({"first": first, "next": following, "ok": first_ok and next_ok}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
