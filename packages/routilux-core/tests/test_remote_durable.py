"""A durable job whose routines run on a remote executor is journaled as a local one is.

Each remote activation gets its end record (what it sent to the job and the activations its
emits queued) and a stateful slot's merge is recorded where the job lives, so every prefix of the
journal recovers to the uncrashed run's recorded state: every output once.
"""

from __future__ import annotations

import importlib
from collections import Counter
from typing import Any

import pytest

from routilux import Flow, JobState

pytestmark = pytest.mark.usefixtures("remote_registry")

WAIT = 10
ITEMS = 4


def remote_flow(store: Any) -> Flow:
    """src -> double (remote) -> report and total (remote, ``total`` an append slot)."""
    routines = importlib.import_module("engine_fixtures.remote_routines")
    flow = Flow(flow_id="remote-durable", store=store)
    flow.add_routine(routines.RemoteSource(), "src")
    flow.add_routine(routines.RemoteDoubler(), "double")
    flow.add_routine(routines.RemoteReporter(), "report")
    flow.add_routine(routines.RemoteTotal(), "total")
    flow.connect("src", "out", "double", "input")
    flow.connect("double", "out", "report", "input")
    flow.connect("double", "out", "total", "input")
    for routine_id in ("double", "report", "total"):
        flow.set_routine_executor(routine_id, "remote-thread", pickle_calls=True)
    return flow


def outputs(job: JobState) -> Counter:
    return Counter((o["routine_id"], tuple(sorted(o["data"].items()))) for o in job.output_log)


def test_every_remote_activation_is_journaled_and_every_prefix_recovers_it_once() -> None:
    from engine_fixtures.memory_store import MemoryStore

    store = MemoryStore()
    flow = remote_flow(store)
    job = flow.execute("src", entry_params={"count": ITEMS, "tag": "durable"})
    assert JobState.wait_for_completion(flow, job, timeout=WAIT)
    flow.shutdown()
    assert job.status == "completed"
    expected = outputs(job)
    assert sum(expected.values()) == 2 * ITEMS
    records = store.records(job.job_id)
    ends = Counter(kind for kind, _, _ in records if kind in ("done", "failed"))
    assert ends == {"done": 1 + 3 * ITEMS}  # the entry, then each item through double, report and total
    assert sum(1 for kind, _, _ in records if kind == "merged") == ITEMS  # total's append merges
    for keep in range(len(records)):
        crashed = store.crash_copy(job.job_id, keep)
        recovered_flow = remote_flow(crashed)
        (recovered,) = recovered_flow.recover()
        assert JobState.wait_for_completion(recovered_flow, recovered, timeout=WAIT), f"prefix {keep}"
        recovered_flow.shutdown()
        assert recovered.status == "completed", f"prefix {keep}"
        got = outputs(recovered)
        # Each output once; which run of total saw how many values may differ with the scheduling,
        # but the counts 1..ITEMS each appear once and the last total is the whole sum.
        assert Counter(k for k, _ in got.items() if k[0] == "report") == Counter(
            k for k in expected if k[0] == "report"), f"prefix {keep}"
        totals = sorted(dict(data)["count"] for (rid, data) in got.elements() if rid == "total")
        assert totals == list(range(1, ITEMS + 1)) and sum(got.values()) == 2 * ITEMS, f"prefix {keep}"
