"""One LocalCluster of worker processes for the whole test session, and the flows a test makes.

Tests run with ``--import-mode=importlib``, so a test module cannot import a
sibling module by itself: this directory goes on ``sys.path`` for the routines
and helpers of ``dask_flows``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import dask
import pytest
from distributed import LocalCluster

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dask_flows import TIMEOUT  # noqa: E402 (importable once the line above has run)

from routilux import Flow  # noqa: E402


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


@pytest.fixture
def flows() -> Iterator[Callable[[Flow], Flow]]:
    """Flows made through this fixture are shut down after the test."""
    made: list[Flow] = []

    def track(flow: Flow) -> Flow:
        made.append(flow)
        return flow

    yield track
    for flow in made:
        flow.shutdown(wait=True, timeout=TIMEOUT)
