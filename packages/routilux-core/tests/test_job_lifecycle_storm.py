"""A storm of random pause/resume/cancel calls from 8 threads on 200 jobs (issue 10 item 2).

Every call is bounded (pause has a timeout; threads are joined with one). Whatever the
interleaving, every job ends in a status its calls allow: a job that any cancel reached ends
``cancelled`` (and nothing runs for it twice); every other job, once resumed a last time, ends
``completed`` with each of its activations run exactly once. The RNG is seeded: the calls are the
same on every run, only their interleaving varies.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from typing import Any

import pytest

from routilux import JobState, Routine
from routilux.routine import _current_job_state

WAIT = 30.0
ITEMS = 25  # per job, through two stages
SEED = 20_10

pytestmark = pytest.mark.usefixtures("fixtures_on_path")  # conftest.py: engine_fixtures imports


class Stage(Routine):
    """Records (job id, stage, item) for every activation it runs, then passes the item on."""

    def __init__(self, name: str, log: list[tuple[str, str, int]], lock: threading.Lock) -> None:
        super().__init__()
        self.stage_name, self.log, self.lock = name, log, lock
        self.define_slot("input", self._on_input)
        self.define_event("out", ["item"])

    def _on_input(self, item: int) -> None:
        job = _current_job_state.get()
        with self.lock:
            self.log.append((job.job_id, self.stage_name, item))
        self.emit("out", item=item)


def _storm(jobs_count: int, threads: int, calls_per_thread: int, cancel_share: float) -> dict[str, Any]:
    from engine_fixtures.routines import Source, linear_flow

    log: list[tuple[str, str, int]] = []
    lock = threading.Lock()
    flow = linear_flow(Source(), ("a", Stage("a", log, lock), "input"), ("b", Stage("b", log, lock), "input"),
                       execution_strategy="concurrent", max_workers=4)
    outcomes: dict[str, list[tuple[str, str]]] = defaultdict(list)  # job id -> (call, result)
    errors: list[BaseException] = []
    go = threading.Barrier(threads)

    jobs = [flow.execute("src", entry_params={"count": ITEMS}) for _ in range(jobs_count)]

    def storm(index: int) -> None:
        rng = random.Random(SEED + index)
        try:
            go.wait(WAIT)
            for _ in range(calls_per_thread):
                job = rng.choice(jobs)
                roll = rng.random()
                if roll < cancel_share:
                    call = "cancel"
                else:
                    call = "pause" if roll < (1 + cancel_share) / 2 else "resume"
                try:
                    if call == "pause":
                        result = f"paused:{flow.pause(job, timeout=WAIT)}"
                    elif call == "resume":
                        flow.resume(job)
                        result = "ok"
                    else:
                        flow.cancel(job)
                        result = "ok"
                except ValueError as error:  # a refused call: it must name the job and its status
                    result = f"refused:{error}"
                with lock:
                    outcomes[job.job_id].append((call, result))
        except BaseException as error:
            errors.append(error)

    workers = [threading.Thread(target=storm, args=(i,), name=f"storm-{i}") for i in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(WAIT * 4)
    storm_seconds = time.perf_counter() - started
    try:
        assert not any(worker.is_alive() for worker in workers), "a pause/resume/cancel call hung"
        assert errors == []
        # Settle: every job that was not cancelled is resumed a last time and must complete.
        for job in jobs:
            if job.status == "paused":
                flow.resume(job)
        for job in jobs:
            assert JobState.wait_for_completion(flow, job, timeout=WAIT), f"{job!r} never settled"
        probe = flow.execute("src", entry_params={"count": 1})
        assert JobState.wait_for_completion(flow, probe, timeout=WAIT)
    finally:
        flow.shutdown(wait=False)

    runs = Counter(log)
    cancelled = 0
    for job in jobs:
        calls = outcomes.get(job.job_id, [])
        for call, result in calls:
            if result.startswith("refused:"):
                # Only a cancelled job refuses here (nothing fails in this flow).
                assert call in ("pause", "resume") and f"job '{job.job_id}'" in result, result
                assert "its status is 'cancelled'" in result, result
        done = [(stage, item) for stage in "ab" for item in range(ITEMS) if runs[(job.job_id, stage, item)]]
        assert all(runs[(job.job_id, stage, item)] <= 1 for stage, item in done), f"{job!r} ran twice"
        if any(call == "cancel" for call, result in calls):
            cancelled += 1
            assert job.status == "cancelled", f"{job!r} was cancelled, then ended {job.status}: {calls}"
            with pytest.raises(ValueError, match="cancelled"):
                flow.resume(job)
        else:
            assert job.status == "completed", f"{job!r}: {calls}"
            assert len(done) == 2 * ITEMS, f"{job!r} lost activations: {calls}"
    return {
        "jobs": jobs_count,
        "threads": threads,
        "calls": threads * calls_per_thread,
        "cancelled_jobs": cancelled,
        "refused_calls": sum(r.startswith("refused:") for c in outcomes.values() for _, r in c),
        "storm_seconds": round(storm_seconds, 3),
    }


def test_storm_on_200_jobs_from_8_threads(capsys: pytest.CaptureFixture[str]) -> None:
    figures = _storm(jobs_count=200, threads=8, calls_per_thread=250, cancel_share=0.05)
    with capsys.disabled():
        print(f"\nlifecycle storm: {figures}")
    assert figures["cancelled_jobs"] > 0 and figures["refused_calls"] > 0  # the storm reached both cases


def test_storm_on_one_job_from_8_threads() -> None:
    figures = _storm(jobs_count=1, threads=8, calls_per_thread=60, cancel_share=0.01)
    assert figures["calls"] == 480
