"""CPU-bound fan-out on the ``dask`` executor vs ``sequential`` and ``concurrent`` (threads).

One entry routine emits ``--activations`` items (default 64); each item's
handler does ``--work-ms`` (default 20) of pure-Python CPU work and emits its
result (checked from the job's history). The same flow runs, in one process
and one run, on:

* ``sequential`` - one worker thread;
* ``concurrent`` - ``--workers`` threads (bound by the GIL for pure-Python work);
* ``dask`` - a LocalCluster of ``--workers`` worker processes (1 thread each),
  started before timing (startup is reported apart); ``max_workers`` (activations
  in flight) is ``--in-flight``, by default 8 per worker.

It prints wall times and speedups over ``sequential``, then the per-activation
overhead of each executor for trivial handlers (µs): the wall time of a
fan-out of ``--trivial`` no-op activations divided by their number, and for
``dask`` also with one activation in flight (the round-trip latency).

Needs ``routilux-core`` and ``routilux-dask`` installed::

    python benchmarks/dask_cpu_fanout.py [--activations 64] [--work-ms 20] [--workers 2] [--repeat 5]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from routilux import Flow, JobState, Routine


def burn(iterations: int) -> int:
    """Pure-Python CPU work (holds the GIL)."""
    total = 0
    for i in range(iterations):
        total = (total + i * i) % 1_000_003
    return total


class Fan(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.define_slot("trigger", self.start)
        self.define_event("item", ["index", "iterations"])

    def start(self, n: int = 0, iterations: int = 0, **_: Any) -> None:
        for index in range(n):
            self.emit("item", index=index, iterations=iterations)


class Work(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.define_slot("input", self.work)
        self.define_event("done", ["index", "value"])

    def work(self, index: int, iterations: int) -> None:
        self.emit("done", index=index, value=burn(iterations) if iterations else 0)


def build(strategy: str, workers: int, options: dict[str, Any] | None = None) -> Flow:
    """fan -> work on the executor ``strategy``; results stay in the job's history."""
    flow = Flow(
        execution_strategy=strategy, max_workers=workers, executor_options=options or {}, history_limit=None
    )
    flow.add_routine(Fan(), "fan")
    flow.add_routine(Work(), "work")
    flow.connect("fan", "item", "work", "input")
    return flow


def run_job(flow: Flow, n: int, iterations: int, expected: int) -> float:
    """Wall seconds of one job; checks that every activation's result arrived, and right."""
    started = time.perf_counter()
    job = flow.execute("fan", entry_params={"n": n, "iterations": iterations})
    if not JobState.wait_for_completion(flow, job, timeout=600):
        raise RuntimeError(f"job did not finish (status {job.status})")
    elapsed = time.perf_counter() - started
    if job.status != "completed":
        raise RuntimeError(f"job ended {job.status}: {job.routine_states}")
    done = [r.data for r in job.get_execution_history("work") if r.event_name == "done"]
    if sorted(d["index"] for d in done) != list(range(n)) or any(d["value"] != expected for d in done):
        raise RuntimeError(f"wrong results from {flow.execution_strategy}: {len(done)} of {n}")
    return elapsed


def time_burn(iterations: int) -> float:
    started = time.perf_counter()
    burn(iterations)
    return time.perf_counter() - started


def calibrate(work_ms: float) -> int:
    """Iterations of :func:`burn` that take about ``work_ms`` here (fastest of 5 samples)."""
    iterations = 10_000
    while time_burn(iterations) < 0.05:
        iterations *= 2
    elapsed = min(time_burn(iterations) for _ in range(5))
    return max(1, int(iterations * (work_ms / 1000.0) / elapsed))


def best_of_interleaved(repeat: int, runs: dict[str, Callable[[], float]]) -> dict[str, float]:
    """Best wall time of each run, the runs taking turns so that load changes hit all alike."""
    for run in runs.values():
        run()  # warm-up: threads started, classes shipped to the workers
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            samples[name].append(run())
    return {name: min(values) for name, values in samples.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activations", type=int, default=64)
    parser.add_argument("--work-ms", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=2, help="threads for concurrent, processes for dask")
    parser.add_argument("--in-flight", type=int, default=0, help="dask max_workers (default 8 x workers)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--trivial", type=int, default=500, help="activations for the overhead figure")
    args = parser.parse_args(argv)

    n, workers = args.activations, args.workers
    in_flight = args.in_flight or 8 * workers
    iterations = calibrate(args.work_ms)
    per_item = min(time_burn(iterations) for _ in range(5))
    print(f"CPU-bound fan-out: {n} activations x {per_item * 1000:.1f} ms of pure-Python work "
          f"({iterations} iterations), {workers} workers, best of {args.repeat}")

    from distributed import LocalCluster

    started = time.perf_counter()
    cluster = LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=40
    )
    startup = time.perf_counter() - started
    on_cluster = {"address": cluster.scheduler_address}

    flows = {
        "sequential": build("sequential", 1),
        f"concurrent ({workers} threads)": build("concurrent", workers),
        f"dask ({workers} processes)": build("dask", in_flight, on_cluster),
    }
    serial = build("dask", 1, on_cluster)
    expected, nothing = burn(iterations), burn(0)
    try:
        times = best_of_interleaved(
            args.repeat,
            {name: (lambda f=flow: run_job(f, n, iterations, expected)) for name, flow in flows.items()},
        )
        base = times["sequential"]
        ideal = n * per_item
        print(f"{'executor':<30}{'wall (s)':>8}{'speedup':>10}")
        for name, seconds in times.items():
            print(f"{name:<30}{seconds:>8.3f}{base / seconds:>9.2f}x")
        print(f"(pure work alone: {ideal:.3f} s; dask LocalCluster startup, not timed: {startup:.2f} s)")

        print(f"\nPer-activation overhead, trivial handlers ({args.trivial} activations, "
              f"best of {args.repeat}):")
        overhead = {**flows, "dask, 1 in flight (latency)": serial}
        counts = {name: args.trivial if flow is not serial else max(1, args.trivial // 10)
                  for name, flow in overhead.items()}
        best = best_of_interleaved(
            args.repeat,
            {
                name: (lambda f=flow, c=counts[name]: run_job(f, c, 0, nothing))
                for name, flow in overhead.items()
            },
        )
        for name, seconds in best.items():
            print(f"{name:<30}{seconds / counts[name] * 1e6:>8.0f} µs")
        print(f"(dask: {in_flight} activations in flight)")
    finally:
        for flow in [*flows.values(), serial]:
            flow.shutdown()
        cluster.close()


if __name__ == "__main__":
    main()
