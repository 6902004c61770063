"""Durable jobs, engine side: every prefix of a job's journal recovers to exactly the uncrashed state.

A store that commits in order leaves, after a crash, some prefix of the
journal. These tests run a job once to completion against an in-memory store,
then for EVERY prefix length k rebuild a fresh flow, recover the job from the
first k records and let it finish: the recorded state (routine states, shared
data and log, outputs, history, the append slot's merged values) must equal
the uncrashed run's, each record once; handler side effects must have happened
at least once. The real-process SIGKILL tests live in routilux-sqlite-store.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from routilux import Flow, JobState, Routine, activation_key

pytestmark = pytest.mark.usefixtures("fixtures_on_path")

ITEMS = 6


class Counting(Routine):
    """Doubles each item, counts its own runs (side effects) and records state through the job."""

    def __init__(self, ledger: Counter) -> None:
        super().__init__()
        self.ledger = ledger
        self.define_slot("input", self.on_item)
        self.define_event("out", ["value"])

    def on_item(self, item: int) -> None:
        key = activation_key()
        assert key is not None and key[1] > 0
        self.ledger[("work", item)] += 1
        job = self.get_execution_context().job_state
        job.update_shared_data(f"seen-{item}", item * 2)
        job.append_to_shared_log({"item": item})
        self.emit("out", value=item * 2)


class Collector(Routine):
    """An ``append`` slot: each run sees every value so far; it sends the running total as an output."""

    def __init__(self, ledger: Counter) -> None:
        super().__init__()
        self.ledger = ledger
        self.define_slot("input", self.on_values, merge_strategy="append")

    def on_values(self, value: list[int]) -> None:
        self.ledger[("collect", len(value))] += 1
        key = activation_key()
        assert key is not None
        self.ledger[("given", key[1], tuple(value))] += 1
        context = self.get_execution_context()
        context.job_state.update_routine_state(context.routine_id, {"seen": sorted(value)})
        self.send_output("total", total=sum(value), count=len(value))


def build(store: Any, ledger: Counter, strategy: str = "sequential") -> Flow:
    from engine_fixtures.routines import Source

    flow = Flow(flow_id="durable", store=store, execution_strategy=strategy, max_workers=4)
    flow.add_routine(Source(), "source")
    flow.add_routine(Counting(ledger), "work")
    flow.add_routine(Collector(ledger), "collect")
    flow.connect("source", "out", "work", "input")
    flow.connect("work", "out", "collect", "input")
    return flow


def recorded(job: JobState) -> dict[str, Any]:
    """The job's recorded state, without timestamps."""
    return {
        "status": job.status,
        "routine_states": job.routine_states,
        "shared_data": job.shared_data,
        "shared_log": Counter(entry["item"] for entry in job.shared_log),
        # Which collect run saw how many values depends on scheduling (the entry's caller thread
        # races the worker, in the first run as in the recovered one); each count appears once.
        "outputs": Counter((o["routine_id"], o["data"]["count"]) for o in job.output_log),
        "final_total": max(o["data"]["total"] for o in job.output_log),
        "history": Counter(
            (r.routine_id, r.event_name, repr(sorted(r.data.items()))) for r in job.execution_history
        ),
    }


def run_once(strategy: str = "sequential") -> tuple[Any, JobState, Counter]:
    from engine_fixtures.memory_store import MemoryStore

    store, ledger = MemoryStore(), Counter()
    flow = build(store, ledger, strategy)
    job = flow.execute("source", {"count": ITEMS})
    assert JobState.wait_for_completion(flow, job, timeout=10)
    flow.shutdown()
    return store, job, ledger


def test_a_durable_job_runs_as_without_a_store_and_journals_every_activation() -> None:
    store, job, ledger = run_once()
    assert job.status == "completed"
    assert job.routine_states["collect"] == {"seen": [0, 2, 4, 6, 8, 10]}
    kinds = Counter(kind for kind, _seq, _payload in store.records(job.job_id))
    assert kinds["done"] == 1 + 2 * ITEMS  # the entry, each work and each collect activation
    assert kinds["merged"] == ITEMS  # only the append slot keeps state between merges
    assert store.records(job.job_id)[-1] == ("status", 0, "completed")
    assert ledger[("work", 0)] == 1


@pytest.mark.parametrize("strategy", ["sequential", "concurrent"])
def test_every_prefix_of_the_journal_recovers_to_the_same_recorded_state(strategy: str) -> None:
    store, reference, original = run_once(strategy)
    expected = recorded(reference)
    records = store.records(reference.job_id)
    total = len(records)
    given = {key[1]: key[2] for key in original if key[0] == "given"}
    for keep in range(total + 1):
        merged = {seq for kind, seq, _ in records[:keep] if kind == "merged"}
        ended = {seq for kind, seq, _ in records[:keep] if kind in ("done", "failed")}
        crashed = store.crash_copy(reference.job_id, keep)
        ledger: Counter = Counter()
        flow = build(crashed, ledger, strategy)
        jobs = flow.recover()
        assert len(jobs) == (0 if keep == total else 1), f"prefix {keep}/{total}"
        if not jobs:
            continue
        (job,) = jobs
        assert JobState.wait_for_completion(flow, job, timeout=10), f"prefix {keep}/{total}"
        flow.shutdown()
        got = recorded(job)
        if strategy == "concurrent":
            # Handlers that overwrite one routine state race: the last to write wins, in memory as in
            # the journal (the last committed), and which one that is differs from run to run.
            assert set(got.pop("routine_states")["collect"]["seen"]) <= set(range(0, 2 * ITEMS, 2))
            expected.pop("routine_states", None)
        assert got == expected, f"prefix {keep}/{total}"
        assert crashed.records(job.job_id)[-1] == ("status", 0, "completed")
        # A handler that was running at the crash is given again exactly what it was given.
        for seq in merged - ended:
            assert ledger[("given", seq, given[seq])] == 1, f"prefix {keep}/{total}, activation {seq}"
        # Side effects: every activation not ended before the crash ran (again); none ran twice.
        work_runs = sum(n for k, n in ledger.items() if k[0] == "work")
        ended_work = sum(1 for kind, seq, _ in records[:keep] if kind == "done" and 1 <= seq <= ITEMS)
        assert work_runs == ITEMS - ended_work, f"prefix {keep}/{total}"


def test_recovery_refuses_a_changed_flow() -> None:
    store, reference, _ledger = run_once()
    crashed = store.crash_copy(reference.job_id, 3)
    flow = build(crashed, Counter())
    flow.connect("source", "out", "collect", "input")  # another definition of the flow
    with pytest.raises(ValueError, match="another definition of flow 'durable'"):
        flow.recover(reference.job_id)


def test_an_unencodable_change_fails_that_activation_and_the_job_goes_on() -> None:
    from engine_fixtures.memory_store import MemoryStore

    class Bad(Routine):
        def __init__(self) -> None:
            super().__init__()
            self.define_slot("input", self.on_item)

        def on_item(self, item: int) -> None:
            job = self.get_execution_context().job_state
            job.update_shared_data("bad" if item == 1 else f"ok-{item}", object() if item == 1 else item)

    from engine_fixtures.routines import Source

    store = MemoryStore()
    flow = Flow(flow_id="bad", store=store)
    flow.add_routine(Source(), "source")
    flow.add_routine(Bad(), "bad")
    flow.connect("source", "out", "bad", "input")
    job = flow.execute("source", {"count": 3})
    assert JobState.wait_for_completion(flow, job, timeout=10)
    flow.shutdown()
    assert job.status == "completed"
    errors = [r for r in job.execution_history if r.event_name == "error"]
    message = errors[0].data["error"] if len(errors) == 1 else errors
    assert "bad.input" in message and "update_shared_data('bad')" in message and "object" in message
    failed = [payload for kind, _seq, payload in store.records(job.job_id) if kind == "failed"]
    assert len(failed) == 1 and "object" in failed[0]["error"]


class Plain(Routine):
    """A routine ``flow.serialize()`` can store (its constructor takes no argument)."""

    def __init__(self) -> None:
        super().__init__()
        self.define_slot("input", self.on_item)

    def on_item(self, item: int) -> None:
        self.get_execution_context().job_state.update_shared_data(f"item-{item}", item)


def test_the_same_definition_built_again_in_this_process_recovers() -> None:
    """Routine ``_id``s come from a process-wide counter: the flow's hash must not depend on them."""
    from engine_fixtures.memory_store import MemoryStore
    from engine_fixtures.routines import Source

    def plain_flow(store: Any) -> Flow:
        flow = Flow(flow_id="plain", store=store)
        flow.add_routine(Source(), "source")
        flow.add_routine(Plain(), "plain")
        flow.connect("source", "out", "plain", "input")
        return flow

    store = MemoryStore()
    first = plain_flow(store)
    job = first.execute("source", {"count": 3})
    assert JobState.wait_for_completion(first, job, timeout=10)
    first.shutdown()
    crashed = store.crash_copy(job.job_id, 2)
    again = plain_flow(crashed)
    assert again.routines["plain"]._id != first.routines["plain"]._id
    (recovered,) = again.recover(job.job_id)
    assert JobState.wait_for_completion(again, recovered, timeout=10)
    again.shutdown()
    assert recovered.shared_data == {"item-0": 0, "item-1": 1, "item-2": 2}
