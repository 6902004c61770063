"""routilux.testing's executor contract, run against the ``dask`` executor on the test cluster."""

from __future__ import annotations

from typing import Any, Iterator, List

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

    def _build_flow(self) -> tuple[Any, Any]:
        """The contract's flow, with a sink that reports deliveries by emitting.

        The contract's own sink appends to a list under a ``threading.Lock``: a remote executor
        can neither pickle the lock nor bring the list back from the worker. This sink emits
        each index instead, and ``seen`` reads those emits from the flow's latest job, so the
        contract's assertions apply unchanged. (To drop once the contract observes deliveries
        through emits for every executor; see the package README.)
        """
        from routilux import Flow, Routine

        class ContractSource(Routine):
            def __init__(self) -> None:
                super().__init__()
                self.define_slot("trigger", self._emit_many)
                self.define_event("out", ["index"])

            def _emit_many(self, **params: Any) -> None:
                for index in range(params.get("n", 0)):
                    self.emit("out", index=index)

        class ContractSink(Routine):
            def __init__(self) -> None:
                super().__init__()
                self.define_slot("input", self._collect, merge_strategy=lambda old, new: new)
                self.define_event("seen", ["index"])

            def _collect(self, index: int) -> None:
                self.emit("seen", index=index)

            @property
            def seen(self) -> List[int]:
                tracker = self._current_flow.execution_tracker
                return [
                    record["data"]["index"]
                    for record in tracker.event_flow
                    if record["source_routine_id"] == self._id and record["event_name"] == "seen"
                ]

        flow = Flow(execution_strategy=type(self).executor)
        sink = ContractSink()
        flow.add_routine(ContractSource(), "src")
        flow.add_routine(sink, "sink")
        flow.connect("src", "out", "sink", "input")
        return flow, sink
