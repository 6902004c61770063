"""CPU-bound fan-out with the work routine on the ``dask`` executor and the sink local (issue 15 §2).

The flow is ``fan -> work -> sink``: ``fan`` emits ``--activations`` items
(default 48); each ``work`` activation does ``--work-ms`` (default 20) of
pure-Python CPU work and emits its result; ``sink`` keeps every result (checked
from the job's history). The same flow runs, in one process and one run, on:

* ``sequential`` - every routine on one worker thread;
* ``concurrent`` - every routine on ``--workers`` threads (bound by the GIL);
* ``work on dask`` - the flow on ``sequential``, ``work`` alone on a LocalCluster
  of ``--workers`` worker processes (1 thread each), through
  ``flow.set_routine_executor("work", "dask", ...)`` with ``--in-flight``
  activations in flight (default 16). The cluster is started before timing
  (its start-up is reported apart). Batches are direct calls to the workers;
  ``--tasks`` sends each as a dask task instead (the executor's ``direct=False``).

Every figure is the **median of** ``--repeat`` (default 5) timed runs after one
warm-up run, the variants taking turns so that load changes hit all alike. It
prints the wall times and speedups over ``sequential``, then for trivial
handlers (no work) on the dask path: the per-activation overhead at
``--in-flight`` in flight (wall time of a fan-out of ``--trivial`` activations
divided by their number) and the latency with one activation in flight.

Needs ``routilux-core`` and ``routilux-dask`` installed::

    python benchmarks/dask_cpu_fanout.py [--activations 48] [--work-ms 20] [--workers 2] [--tasks]
"""

from __future__ import annotations

import argparse
import statistics
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


class Sink(Routine):
    """Keeps each result as an event of its own, so that the job's history holds them all."""

    def __init__(self) -> None:
        super().__init__()
        self.define_slot("input", self.keep)
        self.define_event("kept", ["index", "value"])

    def keep(self, index: int, value: int) -> None:
        self.emit("kept", index=index, value=value)


def build(strategy: str, workers: int, work_on: dict[str, Any] | None = None) -> Flow:
    """fan -> work -> sink on ``strategy``; ``work_on``: set_routine_executor's arguments for ``work``."""
    flow = Flow(execution_strategy=strategy, max_workers=workers, history_limit=None)
    flow.add_routine(Fan(), "fan")
    flow.add_routine(Work(), "work")
    flow.add_routine(Sink(), "sink")
    flow.connect("fan", "item", "work", "input")
    flow.connect("work", "done", "sink", "input")
    if work_on is not None:
        flow.set_routine_executor("work", **work_on)
    return flow


def run_job(flow: Flow, n: int, iterations: int, expected: int) -> float:
    """Wall seconds of one job; checks that every result reached the sink, and right."""
    started = time.perf_counter()
    job = flow.execute("fan", entry_params={"n": n, "iterations": iterations})
    if not JobState.wait_for_completion(flow, job, timeout=600):
        raise RuntimeError(f"job did not finish (status {job.status})")
    elapsed = time.perf_counter() - started
    if job.status != "completed":
        raise RuntimeError(f"job ended {job.status}: {job.routine_states}")
    kept = [r.data for r in job.get_execution_history("sink") if r.event_name == "kept"]
    if sorted(d["index"] for d in kept) != list(range(n)) or any(d["value"] != expected for d in kept):
        raise RuntimeError(f"wrong results on {flow.execution_strategy}: {len(kept)} of {n}")
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


def median_of_interleaved(repeat: int, runs: dict[str, Callable[[], float]]) -> dict[str, float]:
    """Median wall time of each run after one warm-up, the runs taking turns."""
    for run in runs.values():
        run()  # warm-up: threads and clients started, classes shipped to the workers
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            samples[name].append(run())
    return {name: statistics.median(values) for name, values in samples.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activations", type=int, default=48)
    parser.add_argument("--work-ms", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=2, help="threads for concurrent, processes for dask")
    parser.add_argument("--in-flight", type=int, default=16, help="dask max_workers of the work routine")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--trivial", type=int, default=480, help="activations for the overhead figure")
    parser.add_argument("--latency", type=int, default=60, help="activations for the latency figure")
    parser.add_argument("--tasks", action="store_true",
                        help="send every batch as a dask task (executor option direct=False)")
    args = parser.parse_args(argv)

    n, workers, in_flight = args.activations, args.workers, args.in_flight
    iterations = calibrate(args.work_ms)
    per_item = min(time_burn(iterations) for _ in range(5))
    print(f"CPU-bound fan-out: {n} activations x {per_item * 1000:.1f} ms of pure-Python work "
          f"({iterations} iterations) -> a local sink; {workers} workers; median of {args.repeat}")

    from distributed import LocalCluster

    started = time.perf_counter()
    cluster = LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=40
    )
    startup = time.perf_counter() - started
    on_dask = {"name": "dask", "address": cluster.scheduler_address, "direct": not args.tasks}

    dask_name = f"work on dask ({workers} processes)"
    flows = {
        "sequential": build("sequential", 1),
        f"concurrent ({workers} threads)": build("concurrent", workers),
        dask_name: build("sequential", 1, {**on_dask, "max_workers": in_flight}),
    }
    serial = build("sequential", 1, {**on_dask, "max_workers": 1})
    expected, nothing = burn(iterations), burn(0)
    try:
        times = median_of_interleaved(
            args.repeat,
            {name: (lambda f=flow: run_job(f, n, iterations, expected)) for name, flow in flows.items()},
        )
        base = times["sequential"]
        print(f"{'executor':<32}{'wall (s)':>8}{'speedup':>10}")
        for name, seconds in times.items():
            print(f"{name:<32}{seconds:>8.3f}{base / seconds:>9.2f}x")
        print(f"(pure work alone: {n * per_item:.3f} s; LocalCluster startup, not timed: {startup:.2f} s)")

        trivial = median_of_interleaved(
            args.repeat,
            {
                "overhead": lambda: run_job(flows[dask_name], args.trivial, 0, nothing),
                "latency": lambda: run_job(serial, args.latency, 0, nothing),
            },
        )
        print(f"\nTrivial handlers, work on dask (median of {args.repeat}):")
        print(f"{f'per-activation overhead, {in_flight} in flight':<44}"
              f"{trivial['overhead'] / args.trivial * 1e3:>7.2f} ms  ({args.trivial} activations)")
        print(f"{'latency, 1 in flight':<44}"
              f"{trivial['latency'] / args.latency * 1e3:>7.2f} ms  ({args.latency} activations)")
    finally:
        for flow in [*flows.values(), serial]:
            flow.shutdown()
        cluster.close()


if __name__ == "__main__":
    main()
