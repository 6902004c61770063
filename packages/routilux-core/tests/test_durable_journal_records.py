"""What a durable job's journal says of its activations: one end record each, and the traceback of a
handler that raised (the monitor shows it in a job's log)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from routilux import Flow, JobState, Routine

pytestmark = pytest.mark.usefixtures("fixtures_on_path")


class Step(Routine):
    """Raises on ``fail_on``; asks its own job to pause on ``pause_on``."""

    def __init__(self, fail_on: int = -1, pause_on: int = -1) -> None:
        super().__init__()
        self.fail_on, self.pause_on = fail_on, pause_on
        self.flow: Flow | None = None
        self.define_slot("input", self.on_item)

    def on_item(self, item: int) -> None:
        if item == self.pause_on:
            assert self.flow is not None
            self.flow.pause(self.get_execution_context().job_state)
        if item == self.fail_on:
            raise ValueError(f"item {item} is not wanted")


def run(step: Step) -> tuple[Any, Flow, JobState]:
    from engine_fixtures.memory_store import MemoryStore
    from engine_fixtures.routines import Source

    store = MemoryStore()
    flow = Flow(flow_id="journaled", store=store)
    step.flow = flow
    flow.add_routine(Source(), "source")
    flow.add_routine(step, "step")
    flow.connect("source", "out", "step", "input")
    job = flow.execute("source", {"count": 3})
    assert JobState.wait_for_completion(flow, job, timeout=10)
    return store, flow, job


def test_a_failed_activation_records_its_traceback() -> None:
    store, flow, job = run(Step(fail_on=1))
    flow.shutdown()
    failed = [payload for kind, _seq, payload in store.records(job.job_id) if kind == "failed"]
    assert len(failed) == 1
    traceback = failed[0]["traceback"]
    assert traceback.startswith("Traceback (most recent call last):")
    assert "in on_item" in traceback and traceback.rstrip().endswith("ValueError: item 1 is not wanted")
    done = [payload for kind, _seq, payload in store.records(job.job_id) if kind == "done"]
    assert not any("traceback" in payload for payload in done)


def test_a_paused_and_resumed_job_records_each_activation_once() -> None:
    store, flow, job = run(Step(pause_on=1))
    assert job.status == "paused"
    flow.resume(job)
    assert JobState.wait_for_completion(flow, job, timeout=10)
    flow.shutdown()
    assert job.status == "completed"
    records = store.records(job.job_id)
    ends = Counter(seq for kind, seq, _payload in records if kind in ("done", "failed"))
    assert sorted(ends) == [0, 1, 2, 3] and set(ends.values()) == {1}  # the entry and three steps
    assert [payload for kind, _seq, payload in records if kind == "status"][-3:] == ["paused", "running",
                                                                                      "completed"]
