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
    """How much work each workload does, and how many timings it takes the best of."""

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
