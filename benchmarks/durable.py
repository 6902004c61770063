"""Durable jobs: what journaling costs, how fast recovery finds its jobs, how fast ``jobs`` lists them.

    python benchmarks/durable.py [--quick]

Figures (median of several rounds, all measured in this run):

* the sequential chain (CHAIN routines, MESSAGES messages) without a store, and
  with a SQLite store at ``durability="normal"`` and ``"full"``: microseconds per
  activation, and the durable overhead per activation over the no-store run;
* bytes of the SQLite file per journaled activation, beyond its payload, and
  the file after ``prune``;
* the recovery scan (``claim`` of the dead jobs) of a store holding 10,000
  finished and 100 unfinished jobs;
* ``summaries(limit=50)`` (the first page of ``routilux jobs``) on 100,000 jobs;
* cross-process control: from ``store.request(job_id, "pause")`` in this process to the
  store showing the job paused by its owner, a child process.

Needs routilux-sqlite-store installed (and routilux-json-store for its serializer).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from workloads.bytecode import child_env

from routilux import Flow, JobState, Routine, open_store
from routilux.store import JobHeader, Owner

CHAIN = 10


class Relay(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.define_slot("input", self.on_input)
        self.define_event("out", ["n"])

    def on_input(self, n: int) -> None:
        self.emit("out", n=n)


class Source(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.define_slot("trigger", self.on_trigger)
        self.define_event("out", ["n"])

    def on_trigger(self, count: int) -> None:
        for n in range(count):
            self.emit("out", n=n)


def chain(store: Any) -> Flow:
    flow = Flow(flow_id="chain", store=store)
    flow.add_routine(Source(), "r0")
    for index in range(1, CHAIN):
        flow.add_routine(Relay(), f"r{index}")
        flow.connect(f"r{index - 1}", "out", f"r{index}", "input")
    return flow


def us_per_activation(store: Any, messages: int) -> float:
    flow = chain(store)
    started = time.perf_counter()
    job = flow.execute("r0", {"count": messages})
    assert JobState.wait_for_completion(flow, job, timeout=600), job
    if store is not None:
        store.flush(timeout=600)
    seconds = time.perf_counter() - started
    flow.shutdown()
    assert job.status == "completed", job.status
    activations = sum(s.activations for s in job.routine_stats().values())
    return seconds / activations * 1e6


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def header(job_id: str, created: float) -> JobHeader:
    return JobHeader(job_id=job_id, flow_id="bench", flow_data={}, flow_hash="0", entry_id="r0",
                     entry_params={}, created_at=created, history_limit=0)


def fill(path: Path, finished: int, unfinished: int) -> None:
    store = open_store(str(path))
    alive = Owner(host=os.uname().nodename, pid=os.getpid(), lease_until=time.time() + 3600)
    dead = Owner(host=os.uname().nodename, pid=dead_pid(), lease_until=time.time() + 3600)
    now = time.time()
    for index in range(finished):
        store.begin_job(header(f"done-{index:06d}", now - index), alive)
        store.append(f"done-{index:06d}", "status", 0, "completed")
    for index in range(unfinished):
        store.begin_job(header(f"open-{index:06d}", now - index), dead)
    store.flush(timeout=600)
    store.close()


def timed(function: Any, rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one round")
    args = parser.parse_args()
    messages, rounds = (200, 1) if args.quick else (2000, 5)
    tmp = Path(tempfile.mkdtemp(prefix="routilux-durable-bench-"))

    print(f"python {sys.version.split()[0]}; chain of {CHAIN}, {messages} messages, median of {rounds}")
    print(f"  cross-process pause: request -> paused in the store: {control_latency(tmp, rounds):.0f} ms")
    us_per_activation(None, messages)  # the first job of a process pays one-time set-up: not counted
    results: dict[str, list[float]] = {"none": [], "normal": [], "full": []}
    sizes: list[float] = []
    for round_index in range(rounds):
        for mode in results:
            store = None
            if mode != "none":
                path = tmp / f"{mode}-{round_index}.db"
                store = open_store(str(path), durability=mode)
            results[mode].append(us_per_activation(store, messages))
            if store is not None:
                store.close()
                if mode == "normal":
                    sizes.append(path.stat().st_size + _wal_size(path))
    base = statistics.median(results["none"])
    for mode, samples in results.items():
        median = statistics.median(samples)
        extra = "" if mode == "none" else f"   overhead {median - base:6.2f} us/activation"
        print(f"  store={mode:<7} {median:8.2f} us/activation{extra}")
    activations = CHAIN * messages
    payload = len(b'{"n":0}')  # each relay's input data, as the json/msgpack payload holds it
    per = statistics.median(sizes) / activations
    print(f"  bytes per journaled activation: {per:.0f} (file+WAL / activations; payload ~{payload} B)")
    pruned = open_store(str(tmp / "normal-0.db"))
    removed = pruned.prune(time.time() + 1)
    pruned.close()
    print(f"  after prune ({removed} jobs): {(tmp / 'normal-0.db').stat().st_size:,} bytes")

    scan_path = tmp / "scan.db"
    fill(scan_path, 10_000 if not args.quick else 1_000, 100)
    recoverer = Owner(host=os.uname().nodename, pid=os.getpid(), lease_until=time.time() + 60)

    copies = iter(range(rounds))

    def scan() -> None:
        # Each round takes over the 100 dead jobs of its own copy of the file.
        copy = tmp / f"scan-{next(copies)}.db"
        shutil.copyfile(scan_path, copy)
        store = open_store(str(copy))
        try:
            claimed = store.claim(recoverer)
        finally:
            store.close()
        assert len(claimed) == 100, len(claimed)

    scanned = timed(scan, rounds)
    print(f"  recovery scan and claim, 10,000 finished + 100 dead unfinished jobs: {scanned:.1f} ms")

    list_path = tmp / "list.db"
    fill(list_path, 100_000 if not args.quick else 2_000, 0)
    store = open_store(str(list_path))
    try:
        page = timed(lambda: store.summaries(limit=50), rounds)
    finally:
        store.close()
    print(f"  first page of jobs (limit 50) on 100,000 jobs: {page:.1f} ms")
    empty = tmp / "empty.db"
    open_store(str(empty)).close()
    cli = cli_jobs_ms(list_path, empty, rounds)
    if cli is not None:
        print(f"  `routilux jobs` on 100,000 jobs: {cli[0]:.0f} ms; on an empty store (start-up, imports "
              f"and opening): {cli[1]:.0f} ms; the 100,000 jobs add {cli[0] - cli[1]:.0f} ms")
    return 0


# A child that runs a durable job whose one activation blocks until the parent removes a file.
_CONTROLLED = """
import os, sys, time
from routilux import Flow, JobState, Routine
class Gate(Routine):
    def __init__(self):
        super().__init__()
        self.define_slot("trigger", self.on_trigger)
        self.define_event("out", ["n"])
    def on_trigger(self, n=0):
        self.emit("out", n=n)
class Hold(Routine):
    def __init__(self):
        super().__init__()
        self.define_slot("input", self.on_input)
    def on_input(self, n):
        while os.path.exists(sys.argv[2]):
            time.sleep(0.001)
flow = Flow(flow_id="controlled", store=sys.argv[1])
flow.add_routine(Gate(), "gate")
flow.add_routine(Hold(), "hold")
flow.connect("gate", "out", "hold", "input")
job = flow.execute("gate", {})
print(job.job_id, flush=True)
while job.status != "paused":
    time.sleep(0.001)
open(sys.argv[2] + ".paused", "w").close()
"""


def control_latency(tmp: Path, rounds: int) -> float:
    samples = []
    for round_index in range(rounds):
        path, gate = tmp / f"control-{round_index}.db", tmp / f"gate-{round_index}"
        gate.touch()
        child = subprocess.Popen([sys.executable, "-c", _CONTROLLED, str(path), str(gate)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert child.stdout is not None
        job_id = child.stdout.readline().split()[0]
        store = open_store(str(path))
        started = time.perf_counter()
        store.request(job_id, "pause")
        while store.summary(job_id).status != "paused":  # a bounded wait on the store, not a guess
            if time.perf_counter() - started > 30:
                child.kill()
                raise RuntimeError(f"the owner never paused job {job_id}: {child.communicate()[1][-2000:]}")
            time.sleep(0.0005)
        samples.append(time.perf_counter() - started)
        gate.unlink()  # the held activation ends; the pause settles and the child exits
        child.wait(timeout=60)
        store.close()
    return statistics.median(samples) * 1000


def cli_jobs_ms(path: Path, empty: Path, rounds: int) -> tuple[float, float] | None:
    """Median wall time of ``routilux jobs --store PATH`` and on the store ``empty`` (None: no CLI)."""
    if importlib.util.find_spec("routilux_cli") is None:
        return None
    command = [sys.executable, "-m", "routilux_cli"]

    def whole(argv: list[str]) -> float:
        started = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, timeout=120, env=child_env())
        return time.perf_counter() - started

    whole([*command, "jobs", "--store", str(empty)])  # untimed: writes the bytecode caches read below
    listing = statistics.median(whole([*command, "jobs", "--store", str(path)]) for _ in range(rounds))
    startup = statistics.median(whole([*command, "jobs", "--store", str(empty)]) for _ in range(rounds))
    return listing * 1000, startup * 1000


def _wal_size(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


if __name__ == "__main__":
    sys.exit(main())
