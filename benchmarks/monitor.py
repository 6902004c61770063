"""The monitor (``routilux serve``): listing latency, live-stream latency, and what watching a job costs it.

    python benchmarks/monitor.py [--quick] [--requests 200] [--messages 100000] [--rounds 5] [--work-us 200]

Three figures of issue 12, each printed beside its target, on processes as a user runs them:
``routilux serve`` in its own process, every job in a child process of its own (this file run as
``monitor.py child ...``), the clients (httpx2) in this one, all over SQLite store files.
(a) ``GET /api/jobs`` (first page) on a store of 100,000 jobs, p50/p95; (b) emit -> arrival on an
open job's SSE stream at 1,000 emits/s, p50/p95/max; (c) a run with the monitor open on its job
against the same run without it, median of several, their ratio. benchmarks/README.md says how
each is measured (and how the 100,000 jobs are written). Needs routilux-core, -sqlite-store,
-json-store, -cli and -monitor installed, and httpx2. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import attrs
import httpx2

from routilux import Flow, JobState, Routine, open_store
from routilux.store import Owner

TOKEN = "benchmark-token"
TARGET_LIST_P95_MS = 50.0
TARGET_EMIT_P95_MS = 500.0
TARGET_OVERHEAD = 1.05
#: Deadlines after which the benchmark gives up (a broken set-up), not durations it relies on.
DEADLINE_S = 120.0
#: Unfinished jobs among the newest of (a)'s store.
RUNNING_JOBS = 5


# -- the child job (``monitor.py child ...``) ------------------------------------------------------

class Start(Routine):
    """The entry (run inside ``Flow.execute``, so it only hands the work on): step 0 to the ticker."""

    def __init__(self) -> None:
        super().__init__()
        self.define_slot("trigger", self.on_trigger)
        self.define_event("go", ["n", "t"])

    def on_trigger(self, run: int) -> None:
        self.emit("go", n=0, t=time.time())


class Ticker(Routine):
    """Emits the items ``1 .. count`` one per activation: each activation emits the next item to
    the ticker itself (and to the sink). Step 0 first waits for the file ``gate`` (if one is named).

    One emit per activation, because a durable job commits what an activation emits together with
    the activation's end: the emits of one long handler would reach the journal (and the monitor)
    only when it returns. ``rate`` > 0 paces item ``n`` to ``n / rate`` seconds after the start;
    0 runs the chain as fast as it goes. Each activation first spends ``work_us`` of CPU (a busy
    loop: a handler's own work). Each item carries its emit time ``t`` (``time.time()``).
    """

    def __init__(self, gate: str = "", count: int = 0, rate: float = 0.0, work_us: float = 0.0) -> None:
        super().__init__()
        self.gate, self.count, self.rate, self.work_s = gate, count, rate, work_us / 1e6
        self.started = self.ended = 0.0
        self.define_slot("tick", self.on_tick)
        self.define_event("out", ["n", "t"])

    def on_tick(self, n: int, t: float) -> None:
        if n == 0:
            deadline = time.monotonic() + DEADLINE_S
            while self.gate and not os.path.exists(self.gate):  # opened by another process
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the gate {self.gate} never opened")
                time.sleep(0.001)
            self.started = time.perf_counter()
        if n >= self.count:
            self.ended = time.perf_counter()
            return
        if self.rate > 0:
            pause = self.started + n / self.rate - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
        busy_until = time.perf_counter() + self.work_s  # the handler's own work: CPU, not a sleep
        while time.perf_counter() < busy_until:
            pass
        self.emit("out", n=n + 1, t=time.time())


class Sink(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.define_slot("input", lambda n, t: None)


def bench_flow(store: str, ticker: Ticker, flow_id: str = "monitor-bench") -> Flow:
    """``start -> ticker (-> itself) -> sink``, journaled into ``store``, on two workers."""
    flow = Flow(flow_id=flow_id, store=store, execution_strategy="concurrent", max_workers=2)
    flow.add_routine(Start(), "start")
    flow.add_routine(ticker, "ticker")
    flow.add_routine(Sink(), "sink")
    flow.connect("start", "go", "ticker", "tick")
    flow.connect("ticker", "out", "ticker", "tick")
    flow.connect("ticker", "out", "sink", "input")
    return flow


def child(store: str, gate: str, count: int, rate: float, work_us: float) -> int:
    """Run one job (see :class:`Ticker`); print its id, then ``elapsed SECONDS emit_rate PER_S``."""
    ticker = Ticker(gate, count, rate, work_us)
    flow = bench_flow(store, ticker)
    job = flow.execute("start", {"run": 1})
    flow.store.flush()
    print(job.job_id, flush=True)
    assert JobState.wait_for_completion(flow, job, timeout=DEADLINE_S), job
    flow.store.flush(timeout=DEADLINE_S)
    elapsed = time.perf_counter() - ticker.started
    emit_rate = count / max(ticker.ended - ticker.started, 1e-9)
    flow.shutdown()
    print(f"elapsed {elapsed:.6f} emit_rate {emit_rate:.1f} status {job.status}", flush=True)
    return 0 if job.status == "completed" else 1


class Job:
    """A child job process: started and waiting at its gate until :meth:`go`."""

    def __init__(self, store: Path, tmp: Path, count: int, rate: float = 0.0, work_us: float = 0.0) -> None:
        self.gate = tmp / f"gate-{time.monotonic_ns()}"
        self.process = subprocess.Popen(
            [sys.executable, __file__, "child", *map(str, (store, self.gate, count, rate, work_us))],
            stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.job_id = self.process.stdout.readline().strip()
        if not self.job_id:
            raise RuntimeError(f"the job process exited with {self.process.wait()} before starting its job")

    def go(self) -> None:
        self.gate.touch()

    def result(self) -> tuple[float, float]:
        """Wait for the job; its ``(elapsed seconds, emit rate)``."""
        assert self.process.stdout is not None
        out, _ = self.process.communicate(timeout=DEADLINE_S)
        fields = out.split()
        if self.process.returncode != 0 or fields[-1] != "completed":
            raise RuntimeError(f"the job {self.job_id} did not complete: {out!r}")
        return float(fields[1]), float(fields[3])


# -- the monitor process ---------------------------------------------------------------------------

@contextlib.contextmanager
def serving(store: Path) -> Iterator[tuple[str, int]]:
    """``routilux serve --store STORE --port 0`` in its own process; yields its base URL and pid."""
    # stderr to a file: a pipe nobody reads would block the server once full.
    errors = store.with_name(store.name + ".serve.stderr")
    with open(errors, "w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "routilux_cli", "serve", "--store", str(store), "--port", "0",
             "--token", TOKEN], stdout=subprocess.PIPE, stderr=stderr, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        prefix = "routilux monitor: serving "
        if not line.startswith(prefix):
            raise RuntimeError(f"routilux serve printed {line!r}; stderr: {errors.read_text()[-2000:]}")
        yield line[len(prefix):].split("/?token=")[0], process.pid
    finally:
        process.terminate()
        process.wait(DEADLINE_S)


class Follower(threading.Thread):
    """An SSE client of ``/api/jobs/{id}/events``: records, for every emit it is told of, the time from
    the emit to the arrival of the message, until the stream ends (the job is final)."""

    def __init__(self, base_url: str, job_id: str) -> None:
        super().__init__(name="sse-follower", daemon=True)
        self.url = f"{base_url}/api/jobs/{job_id}/events"
        self.latencies: list[float] = []
        self.first = threading.Event()
        self.error: BaseException | None = None
        self.cpu_seconds = 0.0

    def run(self) -> None:
        started = time.thread_time()
        try:
            with httpx2.stream("GET", self.url, timeout=httpx2.Timeout(DEADLINE_S)) as response:
                response.raise_for_status()
                for line in response.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    arrived = time.time()
                    message = json.loads(line[5:])
                    self.first.set()
                    self.latencies.extend(arrived - event["data"]["t"] for event in message["events"]
                                          if event["kind"] == "emit" and event["routine"] == "ticker")
        except BaseException as error:  # reported by the main thread
            self.error = error
            self.first.set()
        finally:
            self.cpu_seconds = time.thread_time() - started

    def attached(self) -> None:
        """Wait for the stream's first message (the client is then following the job)."""
        if not self.first.wait(DEADLINE_S) or self.error is not None:
            raise RuntimeError(f"the SSE client never got its first message: {self.error!r}")

    def finish(self) -> list[float]:
        """Wait for the stream's end; the latencies (seconds)."""
        self.join(DEADLINE_S)
        if self.error is not None:
            raise RuntimeError(f"the SSE client failed: {self.error!r}") from self.error
        return self.latencies


# -- (a) the listing on 100,000 jobs ----------------------------------------------------------------

def fill(path: Path, count: int) -> float:
    """A store of ``count`` jobs, as described in the module docstring; returns the seconds it took."""
    started = time.perf_counter()
    model_flow = bench_flow(str(path), Ticker(count=3), flow_id="tiny")
    model = model_flow.execute("start", {"run": 1})
    assert JobState.wait_for_completion(model_flow, model, timeout=DEADLINE_S) and model.status == "completed"
    model_flow.store.flush()
    store = open_store(str(path))
    header, records = store.header(model.job_id), store.records(model.job_id)
    model_flow.shutdown()
    owner = Owner(host=socket.gethostname(), pid=os.getpid(), lease_until=time.time() + 3600)
    newest = time.time()
    try:
        for index in range(count - 1):
            job_id = f"bench-{index:06d}"
            store.begin_job(attrs.evolve(header, job_id=job_id, created_at=newest - index), owner)
            finished = index >= RUNNING_JOBS
            for kind, seq, payload in records:
                if kind == "status" and not finished:
                    continue
                store.append(job_id, kind, seq, payload)
        store.flush(timeout=600)
    finally:
        store.close()
    return time.perf_counter() - started


def percentile(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def listing(base_url: str, requests: int) -> list[float]:
    """Seconds per ``GET /api/jobs`` (first page), after 5 warm-up requests."""
    samples = []
    with httpx2.Client(base_url=base_url, timeout=DEADLINE_S) as client:
        for index in range(requests + 5):
            started = time.perf_counter()
            response = client.get("/api/jobs")
            elapsed = time.perf_counter() - started
            response.raise_for_status()
            assert len(response.json()["jobs"]) == 50
            if index >= 5:
                samples.append(elapsed)
    return samples


# -- (c) a run with and without the monitor --------------------------------------------------------

#: ``none``: no monitor process; ``idle``: ``routilux serve`` running, nothing open; ``stream``: it
#: serves an SSE client that follows the job (and parses each message, as the page does).
RUN_MODES = ("none", "idle", "stream")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of process ``pid`` so far (Linux ``/proc``; 0.0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_once(store: Path, tmp: Path, messages: int, work_us: float, mode: str) -> tuple[float, float, float]:
    """One unpaced run in ``mode`` (see :data:`RUN_MODES`): its elapsed seconds, and the CPU seconds
    ``routilux serve`` and the SSE client used meanwhile (0.0 where there is none)."""
    if mode == "none":
        job = Job(store, tmp, count=messages, work_us=work_us)
        job.go()
        return job.result()[0], 0.0, 0.0
    with serving(store) as (url, pid):
        job = Job(store, tmp, count=messages, work_us=work_us)
        follower = None
        if mode == "stream":
            follower = Follower(url, job.job_id)
            follower.start()
            follower.attached()
        before = _cpu_seconds(pid)
        job.go()
        elapsed = job.result()[0]
        serve_cpu = _cpu_seconds(pid) - before
        if follower is not None:
            follower.finish()
        return elapsed, serve_cpu, follower.cpu_seconds if follower is not None else 0.0


def overhead(tmp: Path, messages: int, work_us: float, rounds: int) -> None:
    """Figure (c) for one job size and handler work: run, and print the line."""
    timings: dict[str, list[float]] = {mode: [] for mode in RUN_MODES}
    cpu: dict[str, list[float]] = {"serve": [], "client": []}
    name = f"{messages}-{work_us:.0f}"
    run_once(tmp / f"warm-up-{name}.db", tmp, messages, work_us, "none")  # one-time costs: not counted
    for round_index in range(rounds):
        for mode in RUN_MODES:
            elapsed, serve_cpu, client_cpu = run_once(
                tmp / f"run-{name}-{round_index}-{mode}.db", tmp, messages, work_us, mode)
            timings[mode].append(elapsed)
            if mode == "stream":
                cpu["serve"].append(serve_cpu)
                cpu["client"].append(client_cpu)
    med = {mode: statistics.median(samples) for mode, samples in timings.items()}
    print(f"(c) a run of {messages:,} items ({2 * messages + 2:,} activations, {work_us:.0f} us of CPU "
          f"in each ticker activation), median of {rounds}: without the monitor {med['none']:.3f} s, "
          f"with it open on the job {med['stream']:.3f} s: x{med['stream'] / med['none']:.3f} "
          f"(target: <= x{TARGET_OVERHEAD:.2f})")
    print(f"    monitor serving, nothing open: {med['idle']:.3f} s (x{med['idle'] / med['none']:.3f}); "
          f"CPU during a watched run: routilux serve {statistics.median(cpu['serve']):.2f} s, "
          f"the SSE client {statistics.median(cpu['client']):.2f} s")


# -- main -----------------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="small sizes (10,000 jobs, 2 s of emits, 20,000 items, 3 rounds)")
    parser.add_argument("--requests", type=int, default=200, help="requests of (a) (default 200)")
    parser.add_argument("--messages", type=int, default=100_000, help="items of (c)'s run (default 100,000)")
    parser.add_argument("--rounds", type=int, default=5, help="runs of (c) with and without (default 5)")
    parser.add_argument("--work-us", type=float, default=200.0,
                        help="CPU per activation of (c)'s second job, of --messages / 10 items (default 200)")
    args = parser.parse_args()
    jobs, emit_seconds, rounds = (10_000, 2, 3) if args.quick else (100_000, 5, args.rounds)
    messages = 20_000 if args.quick else args.messages
    if args.requests < 50:
        parser.error(f"--requests must be at least 50 for a p95, got {args.requests}")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    # The store files (up to a gigabyte in all) are removed at the end.
    with tempfile.TemporaryDirectory(prefix="routilux-monitor-bench-") as tmp_dir:
        measure(Path(tmp_dir), args.requests, jobs, emit_seconds, messages, args.work_us, rounds)
    return 0


def measure(tmp: Path, requests: int, jobs: int, emit_seconds: int, messages: int, work_us: float,
            rounds: int) -> None:
    """Measure and print the three figures (see the module docstring), with files in ``tmp``."""
    listed = tmp / "listed.db"
    filled = fill(listed, jobs)
    with serving(listed) as (url, _pid):
        samples = listing(url, requests)
    print(f"(a) GET /api/jobs, first page of {jobs:,} jobs (filled in {filled:.0f} s): "
          f"p50 {ms(percentile(samples, 50))}, p95 {ms(percentile(samples, 95))} "
          f"over {len(samples)} requests (target: p95 <= {TARGET_LIST_P95_MS:.0f} ms)")

    live = tmp / "live.db"
    with serving(live) as (url, _pid):
        job = Job(live, tmp, count=1000 * emit_seconds, rate=1000.0)
        follower = Follower(url, job.job_id)
        follower.start()
        follower.attached()
        job.go()
        _, emit_rate = job.result()
        latencies = follower.finish()
    if len(latencies) != 1000 * emit_seconds:
        print(f"    warning: the stream told of {len(latencies)} emits of {1000 * emit_seconds}")
    print(f"(b) emit -> open job page's stream, {len(latencies):,} emits at {emit_rate:,.0f}/s: "
          f"p50 {ms(percentile(latencies, 50))}, p95 {ms(percentile(latencies, 95))}, "
          f"max {ms(max(latencies))} (target: p95 <= {TARGET_EMIT_P95_MS:.0f} ms)")

    overhead(tmp, messages, 0.0, rounds)
    overhead(tmp, max(1, messages // 10), work_us, rounds)


if __name__ == "__main__":
    if len(sys.argv) == 7 and sys.argv[1] == "child":
        sys.exit(child(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])))
    sys.exit(main())
