"""One LocalCluster of worker processes for the whole test session."""

from __future__ import annotations

from typing import Iterator

import dask
import pytest
from distributed import LocalCluster


@pytest.fixture(scope="session")
def cluster() -> Iterator[LocalCluster]:
    # A task whose worker dies twice gives up (KilledWorker) instead of the default four times,
    # which keeps the worker-death tests short; the scheduler runs in this process.
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        local = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=50
        )
    try:
        yield local
    finally:
        local.close()


@pytest.fixture
def address(cluster: LocalCluster) -> str:
    return cluster.scheduler_address
