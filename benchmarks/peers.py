"""routilux beside Hamilton, Kedro and Prefect 3 on the workloads (g)-(j) of issue 15, in one run.

    python benchmarks/peers.py [--reps 5] [--quick] [--budget 60] [--one-core]
                               [--peers hamilton,kedro,prefect]

Run it with an interpreter whose environment holds routilux (core, std-routines, json-store) and
whichever peers are installed (``tox -e peers`` installs all three). Each workload runs in each
peer's own public API (the mappings are in the ``peer_workloads`` package next to this script, one module
per peer) and checks its sink's values after every run, exactly as the routilux workloads of
``run.py`` do (those, and the plain-Python floors, are reused from the ``workloads`` package).
Figures are the median of ``--reps`` runs. A peer whose ``--reps`` runs at a workload's size would
take over ``--budget`` seconds (estimated from two probe runs) runs a smaller size, printed in its
cell. Exit status 1 when a sink was wrong or a peer raised.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import sys
import time
from typing import Any

from peer_workloads import PEERS
from peer_workloads.cases import WORKLOADS, Figure, NotExpressible, measure_case
from peer_workloads.table import Outcome, Table
from workloads.building import bench_build
from workloads.jobs import bench_pipeline_jobs, bench_pipeline_jobs_synchronous
from workloads.measuring import pin_to_one_core
from workloads.report import Row, machine
from workloads.scale import bench_items, bench_long_chain
from workloads.sizes import FULL, QUICK, Sizes

#: The routilux workloads (and their floors) of ``run.py`` for each key.
BASELINE = {"g": bench_long_chain, "h": bench_items, "i": bench_pipeline_jobs, "j": bench_build}


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The command line.

    Raises:
        SystemExit: a bad option, ``--reps`` < 1, ``--budget`` <= 0, or an unknown peer name.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5,
                        help="timed runs per figure, median reported (default 5)")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes (chains of 200, 100 items, 100 runs), a 10 s budget: a smoke run")
    parser.add_argument("--budget", type=float, default=None,
                        help="seconds the --reps runs of one workload may take a peer before it runs a "
                             "smaller size (default 60; 10 with --quick)")
    names = [peer.name for peer in PEERS]
    parser.add_argument("--peers", default=",".join(names), help=f"comma-separated subset of {names}")
    parser.add_argument("--one-core", action="store_true",
                        help="pin the process (and the threads it starts) to one CPU, as taskset -c N does")
    args = parser.parse_args(argv)
    if args.reps < 1:
        parser.error(f"--reps must be at least 1, got {args.reps}")
    if args.budget is None:
        args.budget = 10.0 if args.quick else 60.0
    if args.budget <= 0:
        parser.error(f"--budget must be a positive number of seconds, got {args.budget}")
    args.peers = [name.strip() for name in args.peers.split(",") if name.strip()]
    unknown = sorted(set(args.peers) - set(names))
    if unknown:
        parser.error(f"unknown peer(s) {unknown}; valid: {names}")
    return args


def run_peer(module: Any, sizes: Sizes, quick: Sizes, reps: int, budget: float) -> dict[str, Outcome]:
    """Every workload of one peer's module: a Figure, the NotExpressible, or the exception it raised."""
    outcomes: dict[str, Outcome] = {}
    for workload in WORKLOADS:
        case = module.CASES[workload.key]
        if isinstance(case, NotExpressible):
            outcomes[workload.key] = case
            continue
        t0 = time.perf_counter()
        try:
            outcomes[workload.key] = measure_case(case, workload, workload.size(sizes), workload.size(quick),
                                                  reps, budget)
        except Exception as exc:  # a broken case is reported in its cell; the others still run
            outcomes[workload.key] = exc
        print(f"  {module.__name__} ({workload.key}) done in {time.perf_counter() - t0:.1f} s", flush=True)
    return outcomes


def main(argv: list[str] | None = None) -> int:
    """Measure routilux, the floors and every selected peer; print the table; 1 if anything failed."""
    args = parse(argv)
    if args.one_core:
        pin_to_one_core()
    sizes = dataclasses.replace(QUICK if args.quick else FULL, scale_reps=args.reps)
    quick = dataclasses.replace(QUICK, scale_reps=args.reps)
    selected = [peer for peer in PEERS if peer.name in args.peers]

    try:
        from routilux import __version__ as routilux_version
    except ImportError:  # reported, not fatal: the floors and the peers still run
        routilux_version = "?"
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, Python {platform.python_version()} "
          f"({sys.executable})")
    print(f"machine: {machine()}")
    if hasattr(os, "sched_getaffinity"):
        print(f"cpus this process may use: {sorted(os.sched_getaffinity(0))}")
    print("versions: " + ", ".join([f"routilux {routilux_version}"]
                                   + [f"{peer.distribution} {peer.version()}" for peer in selected]))
    print(f"mode: {'quick' if args.quick else 'full'}, median of {args.reps} runs, budget {args.budget:g} s "
          "per peer and workload")
    print()

    baseline: dict[str, Row] = {}
    for key, bench in BASELINE.items():
        t0 = time.perf_counter()
        baseline[key] = bench(sizes)
        print(f"  routilux + floor ({key}) done in {time.perf_counter() - t0:.1f} s", flush=True)

    outcomes: dict[str, dict[str, Outcome]] = {}
    modules: dict[str, Any] = {}
    for peer in selected:
        if not peer.installed():
            outcomes[peer.name] = {}
            continue
        modules[peer.name] = module = peer.load()
        outcomes[peer.name] = run_peer(module, sizes, quick, args.reps, args.budget)
    print()

    table = Table([peer.name for peer in selected], baseline, outcomes,
                  {w.key: w.size(sizes) for w in WORKLOADS})
    table.show()
    print("routilux on execution_strategy='synchronous' (every activation in the emitting thread, no thread "
          "handoff; the rows above are on 'sequential'):")
    for key, row in (("g", bench_long_chain(sizes, "synchronous")), ("h", bench_items(sizes, "synchronous")),
                     ("i", bench_pipeline_jobs_synchronous(sizes))):
        per_second = f" = {1e6 / row.framework:,.0f} jobs/s" if key == "i" else ""
        print(f"  ({key}) {row.framework:,.2f} {row.unit}{per_second} ({row.framework / row.floor:.2f}x the "
              f"floor){'' if row.ok else ' FAIL'}")
        baseline[f"{key} (synchronous)"] = row
    print()
    print("How each peer runs them (n = the row's size):")
    for name, module in modules.items():
        for key, case in module.CASES.items():
            if not isinstance(case, NotExpressible):
                print(f"  {name} ({key}): {case.how}")

    failed = [f"routilux ({key})" for key, row in baseline.items() if not row.ok]
    failed += [f"{peer} ({key})" for peer, by_key in outcomes.items() for key, outcome in by_key.items()
               if isinstance(outcome, BaseException) or (isinstance(outcome, Figure) and not outcome.ok)]
    if failed:
        print()
        print("FAILED: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
