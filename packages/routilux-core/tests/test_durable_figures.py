"""A durable job's per-routine figures are journaled when it settles, and read back only while current.

``routilux inspect JOB_ID`` shows what :func:`routilux.read_journaled_job` rebuilds, from any
process: the figures of a job that ended or whose pause completed are exactly the engine's; those
of a job still running (or that died running) are not current, and it has none.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from routilux import ErrorHandler, ErrorStrategy, Flow, JobState, Routine, read_journaled_job

pytestmark = pytest.mark.usefixtures("fixtures_on_path")

WAIT = 10
ITEMS = 4


class FailsFirst(Routine):
    """Fails the first attempt of every item; a retry succeeds."""

    def __init__(self) -> None:
        super().__init__()
        self.define_slot("input", self.on_item)
        self.define_event("out", ["item"])
        self.attempts: dict[int, int] = {}

    def on_item(self, item: int) -> None:
        self.attempts[item] = self.attempts.get(item, 0) + 1
        if self.attempts[item] == 1:
            raise RuntimeError(f"first attempt at {item}")
        self.emit("out", item=item)


class Raises(Routine):
    """Raises on every item (under no strategy the error is unhandled; under continue, accepted)."""

    def __init__(self) -> None:
        super().__init__()
        self.define_slot("input", self.on_item)

    def on_item(self, item: int) -> None:
        raise ValueError(f"no {item}")


class Gate(Routine):
    """Its first activation waits for ``gate``, having set ``entered``: a pause can come meanwhile."""

    def __init__(self) -> None:
        super().__init__()
        self.entered, self.gate = threading.Event(), threading.Event()
        self.define_slot("input", self.on_item)

    def on_item(self, item: int) -> None:
        if item == 0:
            self.entered.set()
            assert self.gate.wait(WAIT), "the test never opened the gate"


def mixed_flow(store: Any) -> Flow:
    from engine_fixtures.routines import Source

    flow = Flow(flow_id="figures", store=store)
    flow.add_routine(Source(), "source")
    retried = FailsFirst()
    retried.set_error_handler(ErrorHandler(strategy=ErrorStrategy.RETRY, max_retries=2, retry_delay=0))
    flow.add_routine(retried, "retried")
    flow.add_routine(Raises(), "unhandled")
    accepted = Raises()
    accepted.set_error_handler(ErrorHandler(strategy=ErrorStrategy.CONTINUE))
    flow.add_routine(accepted, "accepted")
    for target in ("retried", "unhandled", "accepted"):
        flow.connect("source", "out", target, "input")
    return flow


def same_figures(read: dict[str, Any], live: dict[str, Any]) -> None:
    assert sorted(read) == sorted(live)
    for routine_id, figures in live.items():
        got = read[routine_id]
        assert got.handler_seconds == pytest.approx(figures.handler_seconds, rel=1e-9, abs=1e-12)
        fields = ("activations", "succeeded", "failed", "retries", "unhandled_errors", "accepted_errors",
                  "queued")
        assert [getattr(got, f) for f in fields] == [getattr(figures, f) for f in fields], routine_id


def run_mixed() -> tuple[Any, JobState]:
    """One job of :func:`mixed_flow` to its end, journaled into a fresh in-memory store."""
    from engine_fixtures.memory_store import MemoryStore

    store = MemoryStore()
    flow = mixed_flow(store)
    job = flow.execute("source", {"count": ITEMS})
    assert JobState.wait_for_completion(flow, job, timeout=WAIT)
    flow.shutdown()
    return store, job


def test_a_finished_job_reads_back_with_the_engines_figures() -> None:
    store, job = run_mixed()
    live = job.routine_stats()
    assert (live["retried"].activations, live["retried"].retries, live["retried"].failed) == (8, 4, 4)
    assert live["unhandled"].unhandled_errors == ITEMS and live["accepted"].accepted_errors == ITEMS
    same_figures(read_journaled_job(store, job.job_id).routine_stats(), live)
    kinds = [(kind, payload[0] if kind == "effect" else payload) for kind, _, payload in
             store.records(job.job_id)[-2:]]
    assert kinds == [("effect", "stats"), ("status", "completed")]


def gated_flow(store: Any, gate: Gate) -> Flow:
    from engine_fixtures.routines import Source

    flow = Flow(flow_id="paused-figures", store=store)
    flow.add_routine(Source(), "source")
    flow.add_routine(gate, "gate")
    flow.connect("source", "out", "gate", "input")
    return flow


def test_a_paused_job_reads_back_with_its_held_work_queued_and_a_recovery_counts_on() -> None:
    from engine_fixtures.memory_store import MemoryStore

    store = MemoryStore()
    gate = Gate()
    flow = gated_flow(store, gate)
    job = flow.execute("source", {"count": ITEMS})
    try:
        assert gate.entered.wait(WAIT)
        assert flow.pause(job, timeout=0) is False  # the gate's first activation still runs
        gate.gate.set()
        assert JobState.wait_for_completion(flow, job, timeout=WAIT)  # the pause has completed
        assert job.status == "paused"
        live = job.routine_stats()
        assert (live["gate"].activations, live["gate"].queued) == (1, ITEMS - 1)
        assert store.flush(WAIT)
        same_figures(read_journaled_job(store, job.job_id).routine_stats(), live)
        died_paused = store.crash_copy(job.job_id, len(store.records(job.job_id)))
    finally:
        flow.cancel(job)
        flow.shutdown()
    # The process dies; another recovers the paused job, resumes it, and its figures go on.
    opened = Gate()
    opened.gate.set()
    recovered_flow = gated_flow(died_paused, opened)
    (recovered,) = recovered_flow.recover()
    assert recovered.status == "paused"
    assert recovered.routine_stats()["gate"].queued == ITEMS - 1
    recovered_flow.resume(recovered)
    assert JobState.wait_for_completion(recovered_flow, recovered, timeout=WAIT)
    recovered_flow.shutdown()
    figures = recovered.routine_stats()
    gate_figures = figures["gate"]
    assert (gate_figures.activations, gate_figures.succeeded, gate_figures.queued) == (ITEMS, ITEMS, 0)
    same_figures(read_journaled_job(died_paused, job.job_id).routine_stats(), figures)


def test_a_job_that_died_running_has_no_figures_and_a_recovered_one_counts_from_there() -> None:
    store, job = run_mixed()
    records = store.records(job.job_id)
    stats_at = next(i for i, (kind, _, p) in enumerate(records) if kind == "effect" and p[0] == "stats")
    ends = [i for i, (kind, _, _) in enumerate(records) if kind in ("done", "failed")]
    # Every prefix before the figures: what ended so far is not what the figures would say.
    for keep in (ends[0] + 1, ends[len(ends) // 2] + 1, stats_at):
        crashed = store.crash_copy(job.job_id, keep)
        assert read_journaled_job(crashed, job.job_id).routine_stats() == {}, f"prefix {keep}"
        recovered_flow = mixed_flow(crashed)
        (recovered,) = recovered_flow.recover()
        assert JobState.wait_for_completion(recovered_flow, recovered, timeout=WAIT)
        recovered_flow.shutdown()
        figures = recovered.routine_stats()
        assert all(item.queued == 0 for item in figures.values()), f"prefix {keep}: {figures}"
        # It counts what ran after the recovery: the activations its journal ended from there.
        after = crashed.records(job.job_id)[keep:]
        ended_after = sum(1 for kind, _, _ in after if kind in ("done", "failed"))
        counted = sum(item.activations for item in figures.values())
        assert counted == ended_after, f"prefix {keep}"
        # Its figures leave out what ran before the crash: none are journaled for it.
        assert read_journaled_job(crashed, job.job_id).routine_stats() == {}, f"prefix {keep}"
        assert crashed.records(job.job_id)[-1] == ("status", 0, "completed")
    with_figures = store.crash_copy(job.job_id, stats_at + 1)
    same_figures(read_journaled_job(with_figures, job.job_id).routine_stats(), job.routine_stats())
