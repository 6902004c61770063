"""routilux.testing's executor contract, run against the ``dask`` executor on the test cluster."""

from __future__ import annotations

from collections.abc import Iterator

import dask
import pytest

from routilux.testing import ExecutorPluginContract


@pytest.fixture(autouse=True)
def _on_the_test_cluster(address: str) -> Iterator[None]:
    # The contract builds its flows without executor options: dask's own "scheduler-address"
    # setting (what DASK_SCHEDULER_ADDRESS sets) points the executor at the shared cluster.
    with dask.config.set({"scheduler-address": address}):
        yield


class TestDaskExecutorContract(ExecutorPluginContract):
    plugin = "routilux_dask.plugin"
    executor = "dask"
    timeout = 60.0
