"""Many jobs on one flow at once: exactly-once delivery and a final status per job (§1 "Sharing", §8)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest

from routilux import ErrorHandler, Flow, JobState, Routine
from routilux.routine import _current_job_state

JOBS = 1000
THREADS = 8
WAIT = 60.0


class Source(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.define_slot("trigger", self._on_trigger)
        self.define_event("out", ["n"])

    def _on_trigger(self, n: int) -> None:
        self.emit("out", n=n)


class Check(Routine):
    """Fails (STOP) for every n with n % 10 == 7, passes the rest on twice (fan-out)."""

    def __init__(self) -> None:
        super().__init__()
        self.define_slot("input", self._on_input, merge_strategy=lambda old, new: new)
        self.define_event("out", ["n", "part"])
        self.set_error_handler(ErrorHandler(strategy="stop"))

    def _on_input(self, n: int) -> None:
        if n % 10 == 7:
            raise ValueError(f"bad n {n}")
        self.emit("out", n=n, part="a")
        self.emit("out", n=n, part="b")


class Sink(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.deliveries: list[tuple[Any, int, str]] = []
        self._lock = threading.Lock()
        # Merge returning the new data: concurrent activations must not see each other's payloads.
        self.define_slot("input", self._on_input, merge_strategy=lambda old, new: new)

    def _on_input(self, n: int, part: str) -> None:
        job = _current_job_state.get(None)
        with self._lock:
            self.deliveries.append((job, n, part))


@pytest.mark.parametrize("strategy", ["concurrent", "sequential"])
def test_thousand_jobs_from_eight_threads(strategy: str) -> None:
    flow = Flow(execution_strategy=strategy, max_workers=8)
    sink = Sink()
    flow.add_routine(Source(), "src")
    flow.add_routine(Check(), "check")
    flow.add_routine(sink, "sink")
    flow.connect("src", "out", "check", "input")
    flow.connect("check", "out", "sink", "input")

    start = threading.Barrier(THREADS, timeout=WAIT)
    jobs: dict[int, JobState] = {}
    jobs_lock = threading.Lock()
    errors: list[BaseException] = []

    def submit(worker: int) -> None:
        try:
            start.wait()
            for n in range(worker, JOBS, THREADS):
                job = flow.execute("src", entry_params={"n": n})
                with jobs_lock:
                    jobs[n] = job
        except BaseException as error:  # surfaced by the main thread
            errors.append(error)

    threads = [threading.Thread(target=submit, args=(w,), name=f"submitter-{w}") for w in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
        assert not thread.is_alive(), "a submitter thread hung"
    assert errors == []
    assert len(jobs) == JOBS
    assert len({job.job_id for job in jobs.values()}) == JOBS

    for n, job in jobs.items():
        assert JobState.wait_for_completion(flow, job, timeout=WAIT), f"job {n} stuck in {job.status}"

    # Every job reached its own status: the failures of some did not leak into others.
    failed = {n for n, job in jobs.items() if job.status == "failed"}
    completed = {n for n, job in jobs.items() if job.status == "completed"}
    assert failed == {n for n in range(JOBS) if n % 10 == 7}
    assert completed == set(range(JOBS)) - failed
    for n in failed:
        assert jobs[n].get_routine_state("check") == {"status": "failed", "error": f"bad n {n}"}
    for n in completed:
        assert jobs[n].get_routine_state("check") is None

    # Exactly once: each delivery ran under the job that caused it, no loss, no duplicate.
    counts = Counter((job.job_id, n, part) for job, n, part in sink.deliveries)
    expected = Counter((jobs[n].job_id, n, part) for n in sorted(completed) for part in ("a", "b"))
    assert counts == expected
    flow.shutdown()
