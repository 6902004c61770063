"""The shape of the workloads and their sizes in a full and in a quick run."""

from __future__ import annotations

from dataclasses import dataclass

#: Seconds a workload waits for one of its jobs before it counts as broken.
WAIT_TIMEOUT = 120.0
CHAIN_LENGTH = 10
FAN_OUT = 8
IO_ROUTINES = 64
IO_WORKERS = 16
IO_SLEEP = 0.010


@dataclass
class Sizes:
    """How much work each workload does, and how many timings it takes the best (or median) of."""

    reps: int
    chain_messages: int
    fanout_messages: int
    latency_jobs: int
    pipelined_jobs: int
    io_reps: int
    memory_messages: int
    #: (g)-(k), issue 15: timings of these rows report the median of ``scale_reps``.
    scale_reps: int
    long_chain: int
    items: int
    pipeline_jobs: int
    build_routines: int
    first_job_processes: int


FULL = Sizes(reps=3, chain_messages=10_000, fanout_messages=5_000, latency_jobs=2_000,
             pipelined_jobs=1_000, io_reps=5, memory_messages=2_000,
             scale_reps=7, long_chain=2_000, items=1_000, pipeline_jobs=1_000, build_routines=2_000,
             first_job_processes=5)
QUICK = Sizes(reps=1, chain_messages=1_000, fanout_messages=500, latency_jobs=200,
              pipelined_jobs=1_000, io_reps=2, memory_messages=300,
              scale_reps=1, long_chain=200, items=100, pipeline_jobs=100, build_routines=200,
              first_job_processes=1)
