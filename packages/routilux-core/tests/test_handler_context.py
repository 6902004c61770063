"""What a handler sees as its current job, on executor threads that ran other jobs before."""

from __future__ import annotations

import threading

from routilux import Flow, JobState, Routine
from routilux.routine import _current_job_state


class Probe(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[object] = []
        self.done = threading.Event()
        self.define_slot("trigger", self.on_trigger)
        self.define_slot("input", self.on_input)
        self.define_event("out", ["n"])

    def on_trigger(self, n: int = 0) -> None:
        self.emit("out", n=n)

    def on_input(self, n: int) -> None:
        self.seen.append(_current_job_state.get(None))
        self.done.set()


def test_a_jobless_activation_after_a_jobs_sees_no_job() -> None:
    flow = Flow(flow_id="context")
    probe = Probe()
    flow.add_routine(probe, "probe")
    flow.connect("probe", "out", "probe", "input")
    job = flow.execute("probe", {"n": 1})
    assert JobState.wait_for_completion(flow, job, timeout=10)
    assert probe.seen == [job]
    probe.done.clear()
    probe.emit("out", flow=flow, n=2)  # outside any job: runs on the same executor thread
    assert probe.done.wait(10)
    flow.shutdown()
    assert probe.seen == [job, None]
