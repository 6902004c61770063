"""routilux benchmarks: each figure next to a plain-Python floor measured in the same run.

    python benchmarks/run.py [--quick]

Run it with an interpreter whose environment holds the installed routilux distributions
(``tox -e bench`` does that). Only the public API is used. Every workload checks its own result
(the exact messages, and their order where the mode promises one); a wrong result is reported as
FAIL and makes the script exit with status 1. See benchmarks/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import queue
import sys
import threading
import time
import tracemalloc
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from routilux import Flow, JobState, Routine

try:
    from routilux import __version__ as ROUTILUX_VERSION
except ImportError:  # pragma: no cover - reported, not fatal
    ROUTILUX_VERSION = "?"

WAIT_TIMEOUT = 120.0
CHAIN_LENGTH = 10
FAN_OUT = 8
IO_ROUTINES = 64
IO_WORKERS = 16
IO_SLEEP = 0.010


@dataclass
class Sizes:
    reps: int
    chain_messages: int
    fanout_messages: int
    latency_jobs: int
    pipelined_jobs: int
    io_reps: int
    memory_messages: int


FULL = Sizes(reps=3, chain_messages=10_000, fanout_messages=5_000, latency_jobs=2_000,
             pipelined_jobs=1_000, io_reps=5, memory_messages=2_000)
QUICK = Sizes(reps=1, chain_messages=1_000, fanout_messages=500, latency_jobs=200,
              pipelined_jobs=1_000, io_reps=2, memory_messages=300)


@dataclass
class Row:
    name: str
    unit: str
    framework: float
    floor: float
    ok: bool
    note: str = ""
    lower_is_better: bool = True

    @property
    def ratio(self) -> float:
        if self.floor <= 0 or self.framework <= 0:
            return math.nan
        return self.framework / self.floor if self.lower_is_better else self.floor / self.framework


# --------------------------------------------------------------------------------------------------
# Routines used by the workloads (public API only)


class Source(Routine):
    """Entry routine: its trigger emits ``count`` messages ``value=0..count-1`` on ``out``."""

    def __init__(self) -> None:
        super().__init__()
        self.define_slot("trigger", handler=self._on_trigger)
        self.define_event("out", ["value"])

    def _on_trigger(self, count: int = 1, start: int = 0) -> None:
        for value in range(start, start + count):
            self.emit("out", value=value)


class Relay(Routine):
    """Adds one to ``value`` and passes it on."""

    def __init__(self) -> None:
        super().__init__()
        self.define_slot("in", handler=self._on_value)
        self.define_event("out", ["value"])

    def _on_value(self, value: int) -> None:
        self.emit("out", value=value + 1)


class Sink(Routine):
    """Appends every ``value`` it receives (and its own tag) to a shared list."""

    def __init__(self, seen: list[Any], tag: int = 0) -> None:
        super().__init__()
        self._seen = seen
        self._tag = tag
        self.define_slot("in", handler=self._on_value)

    def _on_value(self, value: int) -> None:
        self._seen.append((self._tag, value))


class Sleeper(Routine):
    """Sleeps ``IO_SLEEP`` seconds (an I/O wait), then records that it ran."""

    def __init__(self, seen: list[Any], tag: int) -> None:
        super().__init__()
        self._seen = seen
        self._tag = tag
        self.define_slot("in", handler=self._on_value)

    def _on_value(self, value: int) -> None:
        time.sleep(IO_SLEEP)
        self._seen.append(self._tag)


def chain_flow(seen: list[Any]) -> Flow:
    """source -> relay x (CHAIN_LENGTH - 1) -> sink: CHAIN_LENGTH activations per message."""
    flow = Flow(flow_id="bench-chain", execution_strategy="sequential")
    flow.add_routine(Source(), "src")
    previous = "src"
    for index in range(CHAIN_LENGTH - 1):
        rid = f"relay{index}"
        flow.add_routine(Relay(), rid)
        flow.connect(previous, "out", rid, "in")
        previous = rid
    flow.add_routine(Sink(seen), "sink")
    flow.connect(previous, "out", "sink", "in")
    return flow


def fanout_flow(seen: list[Any], strategy: str = "sequential") -> Flow:
    flow = Flow(flow_id="bench-fanout", execution_strategy=strategy)
    flow.add_routine(Source(), "src")
    for index in range(FAN_OUT):
        flow.add_routine(Sink(seen, tag=index), f"sink{index}")
        flow.connect("src", "out", f"sink{index}", "in")
    return flow


def run_job(flow: Flow, params: dict[str, Any]) -> Any:
    job = flow.execute("src", entry_params=params)
    finished = JobState.wait_for_completion(flow, job, timeout=WAIT_TIMEOUT)
    if not finished or job.status != "completed":
        raise RuntimeError(f"job did not complete: finished={finished} status={job.status!r}")
    return job


# --------------------------------------------------------------------------------------------------
# Plain-Python floors: the same routing with no framework


def floor_route(wiring: dict[int, list[int]], handlers: list[Callable[..., Any]], entry: int,
                messages: int) -> None:
    """Run the workload's routing with a deque of (target, kwargs) and ``handler(**kw)``."""
    pending: deque[tuple[int, dict[str, Any]]] = deque()

    def emitter(node: int) -> Callable[..., None]:
        targets = wiring.get(node, [])

        def emit(**kw: Any) -> None:
            for target in targets:
                pending.append((target, dict(kw)))

        return emit

    emits = [emitter(node) for node in range(len(handlers))]
    for value in range(messages):
        emits[entry](value=value)
    popleft = pending.popleft
    while pending:
        target, kw = popleft()
        handlers[target](emits[target], **kw)


def floor_chain(seen: list[Any], messages: int) -> None:
    def relay(emit: Callable[..., None], value: int) -> None:
        emit(value=value + 1)

    def sink(emit: Callable[..., None], value: int) -> None:
        seen.append((0, value))

    # node 0 is the source, nodes 1..CHAIN_LENGTH-1 relay, node CHAIN_LENGTH is the sink
    handlers: list[Callable[..., Any]] = [relay] * CHAIN_LENGTH + [sink]
    wiring = {node: [node + 1] for node in range(CHAIN_LENGTH)}
    floor_route(wiring, handlers, 0, messages)


def floor_fanout(seen: list[Any], messages: int) -> None:
    def make_sink(tag: int) -> Callable[..., None]:
        def sink(emit: Callable[..., None], value: int) -> None:
            seen.append((tag, value))

        return sink

    handlers: list[Callable[..., Any]] = [lambda emit, value: None]
    handlers += [make_sink(tag) for tag in range(FAN_OUT)]
    wiring = {0: list(range(1, FAN_OUT + 1))}
    floor_route(wiring, handlers, 0, messages)


class HandoffWorker:
    """The floor of a job: hand it to a worker thread and wait for its reply."""

    def __init__(self) -> None:
        self.requests: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.replies: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            item = self.requests.get()
            if item is None:
                return
            self.replies.put(item + 1)

    def close(self) -> None:
        self.requests.put(None)
        self.thread.join()


# --------------------------------------------------------------------------------------------------
# Helpers


def best_of(reps: int, fn: Callable[[], float]) -> float:
    """Smallest of ``reps`` timings; each call of ``fn`` returns its own elapsed seconds."""
    results = []
    for _ in range(reps):
        gc.collect()
        results.append(fn())
    return min(results)


def expected_chain(messages: int) -> list[Any]:
    return [(0, value + CHAIN_LENGTH - 1) for value in range(messages)]


def expected_fanout(messages: int) -> list[Any]:
    return [(tag, value) for value in range(messages) for tag in range(FAN_OUT)]


def measure(reps: int, run: Callable[[], Any], check: Callable[[Any], bool],
            reset: Callable[[], None] | None = None) -> tuple[float, bool]:
    """Best of ``reps`` timings of ``run()``, and whether ``check(result)`` held every time.

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

    return best_of(reps, once), ok


def measure_flow(flow: Flow, warm_up: Callable[[], Any], reps: int, run: Callable[[], Any],
                 check: Callable[[Any], bool], reset: Callable[[], None] | None = None
                 ) -> tuple[float, bool]:
    """``measure`` on a flow after ``warm_up()`` (threads, executor, caches); shuts the flow down."""
    try:
        warm_up()
        return measure(reps, run, check, reset)
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


def pair_flow(flow_id: str, seen: list[Any]) -> Flow:
    """src -> sink, sequential: one activation of each per job."""
    flow = Flow(flow_id=flow_id, execution_strategy="sequential")
    flow.add_routine(Source(), "src")
    flow.add_routine(Sink(seen), "sink")
    flow.connect("src", "out", "sink", "in")
    return flow


# --------------------------------------------------------------------------------------------------
# Workloads


def bench_routing(label: str, note: str, sizes: Sizes, messages: int, per_message: int,
                  make_flow: Callable[[list[Any]], Flow],
                  floor: Callable[[list[Any], int], None],
                  expected: Callable[[int], list[Any]]) -> Row:
    """One job of ``messages`` through ``make_flow`` vs the same routing in ``floor``."""
    activations = per_message * messages
    want = expected(messages)

    seen: list[Any] = []
    flow = make_flow(seen)
    fw, fw_ok = measure_flow(flow, lambda: run_job(flow, {"count": 10}), sizes.reps,
                             lambda: run_job(flow, {"count": messages}),
                             lambda _: seen == want, seen.clear)

    floor_seen: list[Any] = []
    fl, floor_ok = measure(sizes.reps, lambda: floor(floor_seen, messages),
                           lambda _: floor_seen == want, floor_seen.clear)
    return Row(label, "us/activation", fw / activations * 1e6, fl / activations * 1e6,
               fw_ok and floor_ok, note=note)


def bench_chain(sizes: Sizes) -> Row:
    m = sizes.chain_messages
    return bench_routing(f"(a) chain of {CHAIN_LENGTH}, sequential, M={m}", "exact messages, in order",
                         sizes, m, CHAIN_LENGTH, chain_flow, floor_chain, expected_chain)


def bench_fanout(sizes: Sizes) -> Row:
    m = sizes.fanout_messages
    return bench_routing(f"(b) fan-out 1->{FAN_OUT}, sequential, M={m}",
                         "exact messages, emit x connection order",
                         sizes, m, FAN_OUT, fanout_flow, floor_fanout, expected_fanout)


def job_row(label: str, n: int, fw: float, floor: float, ok: bool) -> Row:
    return Row(label, "us/job", fw / n * 1e6, floor / n * 1e6, ok,
               note=f"{n / fw:,.0f} jobs/s vs {n / floor:,.0f} (thread handoff)")


def bench_latency(sizes: Sizes) -> Row:
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


def bench_io(sizes: Sizes) -> Row:
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


def bench_memory(sizes: Sizes) -> list[Row]:
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


# --------------------------------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{platform.system()} {platform.release()} {platform.machine()}, {cpu}, {os.cpu_count()} cpu(s)"


def fmt(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def print_table(rows: list[Row]) -> None:
    headers = ("workload", "unit", "routilux", "floor", "x floor", "check")
    body = [(r.name, r.unit, fmt(r.framework), fmt(r.floor), fmt(r.ratio), "ok" if r.ok else "FAIL")
            for r in rows]
    widths = [max(len(h), *(len(line[i]) for line in body)) for i, h in enumerate(headers)]
    align = ["<", "<", ">", ">", ">", "<"]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(f"{c:{a}{w}}" for c, a, w in zip(cells, align, widths)).rstrip()

    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for cells in body:
        print(line(cells))
    print()
    for r in rows:
        if r.note:
            print(f"  {r.name.split(' ', 1)[0]} {r.note}")
    print()
    print("'x floor' is how many times the floor's cost routilux pays (for efficiency: floor / routilux);")
    print("1.00 would be free. Absolute figures move +-30% between runs on shared machines.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one repetition (a smoke run)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL

    print(f"routilux {ROUTILUX_VERSION} on Python {platform.python_version()} "
          f"({platform.python_implementation()}, {sys.executable})")
    print(f"machine: {machine()}")
    print(f"mode: {'quick' if args.quick else 'full'} (best of {sizes.reps}; io best of {sizes.io_reps})")
    print()

    rows: list[Row] = []
    failures: list[str] = []
    workloads: list[Callable[[Sizes], Any]] = [
        bench_chain, bench_fanout, bench_latency, bench_pipelined, bench_io, bench_memory,
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
