"""Start-up time of the ``routilux`` command, measured on whole processes.

    python benchmarks/cli_startup.py [--repeat 10] [--flow examples/text_pipeline.yaml] [--importtime]

Each figure is the median of ``--repeat`` fresh processes (after one warm-up run that writes the
bytecode caches, into a temporary ``PYTHONPYCACHEPREFIX``), timed from just before the process is
started:

* ``routilux --version`` and ``routilux --help``: until the process has exited;
* ``routilux run FLOW``: until its first line of output arrives, and until it has exited.

Targets (issue 13): ``--version``/``--help`` within 150 ms, the first line of ``run`` within
300 ms. The figures are printed beside them; nothing is asserted (tests never time things).
``--importtime`` also prints, for ``--help`` and ``run``, the slowest top-level imports as
``python -X importtime`` reports them.

Run it with the interpreter of the environment that has routilux-cli installed; the ``routilux``
script next to that interpreter is used, else ``python -m routilux_cli``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from workloads.bytecode import child_env

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FLOW = REPO_ROOT / "examples" / "text_pipeline.yaml"
TIMEOUT = 60.0
TARGETS_MS = {"--version": 150.0, "--help": 150.0, "run (first line)": 300.0}


def routilux_argv() -> list[str]:
    """The command a user types: the ``routilux`` script of this interpreter's environment."""
    script = Path(sys.executable).with_name("routilux")
    if script.is_file():
        return [str(script)]
    found = shutil.which("routilux")
    return [found] if found else [sys.executable, "-m", "routilux_cli"]


def _env() -> dict[str, str]:
    # No terminal: run prints plain lines, as in a pipe.
    return child_env(COLUMNS="120", PYTHONIOENCODING="utf-8")


def time_whole(argv: list[str]) -> float:
    """Seconds from start to exit of one process; fails loudly on a non-zero exit."""
    start = time.perf_counter()
    result = subprocess.run(argv, capture_output=True, env=_env(), timeout=TIMEOUT, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{argv} exited with {result.returncode}: {result.stderr.decode(errors='replace')}")
    return elapsed


def time_first_line(argv: list[str]) -> tuple[float, float]:
    """(seconds to the first line on stdout, seconds to exit) of one process."""
    start = time.perf_counter()
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env()) as proc:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        first_at = time.perf_counter() - start
        _out, err = proc.communicate(timeout=TIMEOUT)
        total = time.perf_counter() - start
    if proc.returncode != 0 or not first:
        raise SystemExit(f"{argv} exited with {proc.returncode}, first line {first!r}: "
                         f"{err.decode(errors='replace')}")
    return first_at, total


def importtime(argv_tail: list[str], top: int) -> list[tuple[int, str]]:
    """The ``top`` slowest top-level imports (cumulative µs) of ``python -X importtime -m routilux_cli``."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "routilux_cli", *argv_tail],
                            capture_output=True, text=True, env=_env(), timeout=TIMEOUT, check=False)
    rows: list[tuple[int, str]] = []
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _self, cumulative, name = line[len("import time:"):].split("|")
        if not name.startswith("  "):  # top level: one space after the bar, no nesting
            rows.append((int(cumulative), name.strip()))
    return sorted(rows, reverse=True)[:top]


def main(args: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=10, help="processes per figure (median)")
    parser.add_argument("--flow", type=Path, default=DEFAULT_FLOW, help="flow file for 'routilux run'")
    parser.add_argument("--importtime", action="store_true", help="also list the slowest imports")
    opts = parser.parse_args(args)
    if opts.repeat < 1:
        parser.error("--repeat must be at least 1")
    base = routilux_argv()
    # Every `routilux run` journals its job: into a store of this run's own, not ~/.routilux.
    os.environ["ROUTILUX_STORE"] = str(Path(tempfile.mkdtemp(prefix="routilux-cli-bench-")) / "jobs.db")
    run_argv = [*base, "run", str(opts.flow)]

    # Warm-up: bytecode caches written, files in the page cache.
    for tail in (["--version"], ["--help"]):
        time_whole([*base, *tail])
    time_first_line(run_argv)

    samples: dict[str, list[float]] = {"--version": [], "--help": [], "run (first line)": [],
                                       "run (whole)": []}
    for _ in range(opts.repeat):
        samples["--version"].append(time_whole([*base, "--version"]))
        samples["--help"].append(time_whole([*base, "--help"]))
        first, whole = time_first_line(run_argv)
        samples["run (first line)"].append(first)
        samples["run (whole)"].append(whole)

    print(f"python {sys.version.split()[0]}, command: {' '.join(base)}, median of {opts.repeat}")
    print(f"{'figure':<18} {'median ms':>10} {'min ms':>8} {'max ms':>8} {'target ms':>10}")
    for name, values in samples.items():
        target = TARGETS_MS.get(name)
        verdict = "" if target is None else f"{target:>10.0f}" + ("" if statistics.median(values) * 1e3
                                                                  <= target else "  OVER")
        print(f"{name:<18} {statistics.median(values) * 1e3:>10.1f} {min(values) * 1e3:>8.1f} "
              f"{max(values) * 1e3:>8.1f} {verdict}")
    if opts.importtime:
        for tail in (["--help"], ["run", str(opts.flow)]):
            print(f"\nslowest top-level imports of 'routilux {' '.join(tail)}' (cumulative ms):")
            for micros, name in importtime(tail, 12):
                print(f"  {micros / 1e3:8.1f}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
