"""Workloads (c), (d) and (i): the fixed cost of a job, one at a time and pipelined."""

from __future__ import annotations

import statistics
from typing import Any

from routilux import JobState

from .floors import HandoffWorker, chain_router
from .flows import chain_flow, pair_flow, run_job
from .measuring import measure, measure_flow, measure_handoff
from .report import Row
from .routing import expected_chain
from .sizes import WAIT_TIMEOUT, Sizes


def job_row(label: str, n: int, fw: float, floor: float, ok: bool) -> Row:
    """The row of ``n`` jobs that took ``fw`` seconds against ``floor`` seconds of handoffs."""
    return Row(label, "us/job", fw / n * 1e6, floor / n * 1e6, ok,
               note=f"{n / fw:,.0f} jobs/s vs {n / floor:,.0f} (thread handoff)")


def bench_latency(sizes: Sizes) -> Row:
    """(c): execute one job and wait for it, N times, against one thread round trip per job."""
    n = sizes.latency_jobs
    seen: list[Any] = []
    flow = pair_flow("bench-latency", seen)

    def run_jobs(count: int) -> None:
        for k in range(count):
            run_job(flow, {"count": 1, "start": k})

    fw, fw_ok = measure_flow(flow, lambda: run_jobs(20), sizes.reps, lambda: run_jobs(n),
                             lambda _: seen == [(0, k) for k in range(n)], seen.clear)

    def floor_run(worker: HandoffWorker) -> list[Any]:
        replies = []
        for k in range(n):
            worker.requests.put(k)
            replies.append(worker.replies.get())
        return replies

    floor, floor_ok = measure_handoff(sizes.reps, floor_run,
                                      lambda replies: replies == [k + 1 for k in range(n)])
    return job_row(f"(c) one job at a time, N={n}", n, fw, floor, fw_ok and floor_ok)


def bench_pipelined(sizes: Sizes) -> Row:
    """(d): N executes back to back, then a wait on each job, against N pipelined handoffs."""
    n = sizes.pipelined_jobs
    seen: list[Any] = []
    flow = pair_flow("bench-pipelined", seen)

    def run() -> tuple[list[JobState], list[bool]]:
        jobs = [flow.execute("src", entry_params={"count": 1, "start": k}) for k in range(n)]
        finished = [JobState.wait_for_completion(flow, job, timeout=WAIT_TIMEOUT) for job in jobs]
        return jobs, finished

    def check(result: tuple[list[JobState], list[bool]]) -> bool:
        jobs, finished = result
        return (all(finished) and all(job.status == "completed" for job in jobs)
                and sorted(seen) == [(0, k) for k in range(n)])

    fw, fw_ok = measure_flow(flow, lambda: run_job(flow, {"count": 1}), sizes.reps, run, check,
                             seen.clear)

    def floor_run(worker: HandoffWorker) -> list[Any]:
        for k in range(n):
            worker.requests.put(k)
        return [worker.replies.get() for _ in range(n)]

    floor, floor_ok = measure_handoff(sizes.reps, floor_run,
                                      lambda replies: replies == [k + 1 for k in range(n)])
    return job_row(f"(d) pipelined: {n} executes, then wait", n, fw, floor, fw_ok and floor_ok)


def bench_pipeline_jobs(sizes: Sizes, strategy: str = "sequential") -> Row:
    """(i): N jobs of a 3-step pipeline (source -> routine -> sink), each executed and waited for
    before the next, against the same three steps by hand per job (median of ``scale_reps``).

    Args:
        strategy: the flow's executor (``synchronous``: every job runs inside its ``execute``).
    """
    n = sizes.pipeline_jobs
    reps = sizes.scale_reps
    want = expected_chain(n, 2)
    seen: list[Any] = []
    flow = chain_flow(seen, 2, flow_id="bench-pipeline", strategy=strategy)

    def run_jobs(count: int) -> None:
        for k in range(count):
            run_job(flow, {"count": 1, "start": k})

    fw, fw_ok = measure_flow(flow, lambda: run_jobs(20), reps, lambda: run_jobs(n),
                             lambda _: seen == want, seen.clear, summary=statistics.median)

    floor_seen: list[Any] = []
    router = chain_router(floor_seen, 2)

    def floor_jobs() -> None:
        for k in range(n):
            router.run(0, 1, start=k)

    fl, floor_ok = measure(reps, floor_jobs, lambda _: floor_seen == want, floor_seen.clear,
                           summary=statistics.median)
    label = f"(i) {n:,} jobs of a 3-step pipeline, one after another"
    if strategy != "sequential":
        label += f", {strategy}"
    return Row(label, "us/job", fw / n * 1e6,
               fl / n * 1e6, fw_ok and floor_ok,
               note=f"execute + wait, median of {reps}: {n / fw:,.0f} jobs/s vs {n / fl:,.0f} by hand; "
                    "goal >= 25,000 jobs/s")


def bench_pipeline_jobs_synchronous(sizes: Sizes) -> Row:
    """(i) on the ``synchronous`` executor: no thread handoff, each job done when ``execute`` returns."""
    return bench_pipeline_jobs(sizes, "synchronous")
