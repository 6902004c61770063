"""Serializers side by side: ``JobState.save`` + ``load`` with ``json``, ``msgpack`` and ``msgspec-json``.

The workload is ``serialize_jobstate`` of ``../shared/bench/bench.py``: one
``JobState`` holding ``--records`` (10 000) execution records
``record_execution(f"n{i % 10}", "out", {"seq": i})``. For each serializer, in
interleaved rounds (so machine noise hits all of them alike), it times:

* ``save+load``: ``job.save(path)`` (serialize, encode, atomic write with fsync)
  then ``JobState.load(path)`` (read, decode, deserialize), checked: the file
  must hold the bytes ``dumps(job.serialize())`` gives and the loaded history
  must be the recorded one. ``msgpack`` and ``msgspec-json`` do both through
  their job codecs (``routilux_msgspec.job_codec``), which skip the generic
  per-record work; ``json`` through ``serialize()`` + ``dumps`` and ``loads``
  + ``deserialize()``;
* ``history``: the loaded job's first ``get_execution_history()``, not part of
  ``save+load``: a job codec's loaded rows become ``ExecutionRecord`` objects
  then (``RecordLog``), where ``json``'s load has made them already;
* ``save+load+read``: ``save+load`` and ``history`` of the same round, the
  honest whole for a job that is saved, loaded and then looked at (a job
  codec's load defers work to that first read, which this counts);
* ``codec``: ``dumps`` + ``loads`` of ``job.serialize()``'s data alone (checked
  equal), which is the part a serializer decides;

and prints the median of ``--repeat`` rounds, the file size, and each figure
as a multiple of ``json``'s (``x faster`` = json's time / this one's). Needs
routilux-core, routilux-json-store and routilux-msgspec installed::

    python benchmarks/serializers.py [--records 10000] [--repeat 15]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from routilux import JobState
from routilux.plugins import get_registry

SERIALIZERS = ("json", "msgpack", "msgspec-json")


def build_job(records: int) -> JobState:
    job = JobState(flow_id="bench-js")
    for i in range(records):
        job.record_execution(f"n{i % 10}", "out", {"seq": i})
    return job


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def check_history(job: JobState, records: int, name: str) -> None:
    got = [(r.routine_id, r.event_name, r.data.get("seq")) for r in job.get_execution_history()]
    if got != [(f"n{i % 10}", "out", i) for i in range(records)]:
        raise SystemExit(f"FAIL: {name}: the loaded history differs from the saved one ({len(got)} records)")


def measure_round(job: JobState, data: Any, name: str, spec: Any, path: Path, records: int,
                  samples: dict[str, list[float]], sizes: dict[str, int]) -> None:
    """One timed save, load, dumps and loads with serializer ``name``, each result checked."""
    elapsed, _ = timed(lambda: job.save(path, serializer=name))
    samples["save"].append(elapsed)
    if path.read_bytes() != spec.dumps(data):
        raise SystemExit(f"FAIL: {name}: save wrote other bytes than dumps(job.serialize())")
    elapsed, loaded = timed(lambda: JobState.load(path, serializer=name))
    samples["load"].append(elapsed)
    elapsed, _ = timed(loaded.get_execution_history)
    samples["history"].append(elapsed)
    check_history(loaded, records, name)
    sizes[name] = path.stat().st_size
    elapsed, encoded = timed(lambda: spec.dumps(data))
    samples["dumps"].append(elapsed)
    elapsed, decoded = timed(lambda: spec.loads(encoded))
    samples["loads"].append(elapsed)
    if decoded != data:
        raise SystemExit(f"FAIL: {name}: loads(dumps(data)) differs from data")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15, help="rounds; medians are reported")
    args = parser.parse_args(argv)

    registry = get_registry()
    missing = [name for name in SERIALIZERS if name not in registry.serializers]
    if missing:
        raise SystemExit(f"serializers {missing} are not installed; install routilux-json-store and "
                         f"routilux-msgspec (available: {sorted(registry.serializers)})")
    specs = {name: registry.get_serializer(name) for name in SERIALIZERS}
    job = build_job(args.records)
    data = job.serialize()
    samples: dict[str, dict[str, list[float]]] = {
        name: {"save": [], "load": [], "history": [], "dumps": [], "loads": []} for name in SERIALIZERS
    }
    sizes: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as directory:
        for _round in range(args.repeat):
            for name, spec in specs.items():
                measure_round(job, data, name, spec, Path(directory) / f"job-{name}.state",
                              args.records, samples[name], sizes)

    def median_ms(name: str, *parts: str) -> float:
        rounds = zip(*(samples[name][part] for part in parts))
        return statistics.median(sum(r) for r in rounds) * 1e3

    print(f"python {sys.version.split()[0]}, {args.records} records, median of {args.repeat} rounds")
    header = (f"{'serializer':<13} {'save ms':>8} {'load ms':>8} {'save+load':>10} {'x faster':>9} "
              f"{'history':>8} {'save+load+read':>15} {'x faster':>9} {'codec ms':>9} {'x faster':>9} "
              f"{'bytes':>10} {'vs json':>8}")
    print(header)
    print("-" * len(header))
    base_total = median_ms("json", "save", "load")
    base_whole = median_ms("json", "save", "load", "history")
    base_codec = median_ms("json", "dumps", "loads")
    for name in SERIALIZERS:
        total = median_ms(name, "save", "load")
        whole = median_ms(name, "save", "load", "history")
        codec = median_ms(name, "dumps", "loads")
        smaller = 1 - sizes[name] / sizes["json"]
        history = median_ms(name, "history")
        print(f"{name:<13} {median_ms(name, 'save'):>8.1f} {median_ms(name, 'load'):>8.1f} {total:>10.1f} "
              f"{base_total / total:>8.2f}x {history:>8.1f} {whole:>15.1f} {base_whole / whole:>8.2f}x "
              f"{codec:>9.1f} {base_codec / codec:>8.2f}x {sizes[name]:>10,} "
              f"{-smaller if smaller else 0.0:>+8.1%}")
    print("\nhistory = the loaded job's first get_execution_history(), not in save+load (msgpack and "
          "msgspec-json make its records then). save+load+read = save + load + history of each round "
          "(the median of those sums), the figure to compare serializers by. codec = dumps + loads of "
          "job.serialize()'s data alone. save+load is the whole JobState.save + JobState.load, file I/O "
          "(atomic write, fsync) included; msgpack and msgspec-json run it through their job codecs.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
