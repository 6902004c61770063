"""A slow durable job, run as its own process by the browser tests: each step waits for a file.

``python slow_job.py STORE GATES STEPS [LABEL]`` runs, in the flow ``slow``
journaled into the store ``STORE``, a job whose entry ``start`` hands step 0
to the routine ``ticker``, which handles the
steps ``0 .. STEPS-1`` one after the other (each step emits the next one back
to ``ticker``, so exactly one step is in flight at any time). Step ``n`` waits
until the file ``GATES/go-N`` exists, then records ``LABEL`` and ``n`` in the
job (shared data, routine state, an output) and sends the step on to ``sink``.
So the test that creates the gate files decides how far the job gets, and a
pause requested while a step waits stays observable until the test lets the
step end.

The process prints ``job JOB_ID`` (flushed) once the job's row is committed,
then serves the store's control requests (pause, resume, cancel from the
monitor) until the job is final, and exits 0 if it completed, 1 otherwise.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from routilux import Flow, JobState, Routine

FLOW_ID = "slow"
#: How often a waiting step looks for its gate file (a child process cannot wait on the test's events).
GATE_POLL_S = 0.01
#: A step whose gate never appears gives up after this long, so a broken test cannot leave a process behind.
GATE_DEADLINE_S = 120.0


class Start(Routine):
    """The entry: starts the chain of steps at step 0."""

    def __init__(self) -> None:
        super().__init__()
        self.define_slot("trigger", self.on_trigger)
        self.define_event("first", ["n"])

    def on_trigger(self, first: int) -> None:
        self.emit("first", n=first)


class Ticker(Routine):
    """Handles step ``n`` once ``gates/go-n`` exists, then emits step ``n + 1`` (until ``steps``)."""

    def __init__(self, gates: str = "", steps: int = 1, label: str = "") -> None:
        super().__init__()
        self.gates, self.steps, self.label = gates, steps, label
        self.define_slot("tick", self.on_tick)
        self.define_event("next", ["n"])
        self.define_event("done", ["n", "label"])

    def on_tick(self, n: int) -> None:
        gate = Path(self.gates) / f"go-{n}"
        deadline = time.monotonic() + GATE_DEADLINE_S
        while not gate.exists():
            if time.monotonic() > deadline:
                raise TimeoutError(f"the gate file {gate} never appeared")
            time.sleep(GATE_POLL_S)
        context = self.get_execution_context()
        assert context is not None, "a handler runs inside its job's context"
        job = context.job_state
        job.update_shared_data("label", self.label)
        job.update_shared_data("step", n)
        job.update_routine_state("ticker", {"step": n, "label": self.label})
        self.send_output("step", n=n, label=self.label)
        self.emit("done", n=n, label=self.label)
        if n + 1 < self.steps:
            self.emit("next", n=n + 1)


class Sink(Routine):
    """Takes each finished step (so the graph has a second routine with counts)."""

    def __init__(self) -> None:
        super().__init__()
        self.define_slot("input", self.on_input)

    def on_input(self, n: int, label: str) -> None:
        pass


def main(argv: list[str]) -> int:
    """Run the job (see the module docstring); returns the exit status."""
    if len(argv) not in (3, 4):
        print("usage: slow_job.py STORE GATES STEPS [LABEL]", file=sys.stderr)
        return 2
    store, gates, steps_text = argv[:3]
    label = argv[3] if len(argv) == 4 else ""
    steps = int(steps_text)
    if steps < 1:
        print(f"STEPS must be a positive integer, got {steps_text!r}", file=sys.stderr)
        return 2
    flow = Flow(flow_id=FLOW_ID, store=store, execution_strategy="concurrent", max_workers=2)
    flow.add_routine(Start(), "start")
    flow.add_routine(Ticker(gates, steps, label), "ticker")
    flow.add_routine(Sink(), "sink")
    flow.connect("start", "first", "ticker", "tick")
    flow.connect("ticker", "next", "ticker", "tick")
    flow.connect("ticker", "done", "sink", "input")
    try:
        job: Any = flow.execute("start", {"first": 0})
        flow.store.flush()
        print(f"job {job.job_id}", flush=True)

        def final(_flow: Any, j: JobState) -> bool:
            return j.status in ("completed", "failed", "cancelled")

        # A paused job is waited for still: the monitor resumes it through the store.
        JobState.wait_until_condition(flow, job, final, timeout=GATE_DEADLINE_S * steps)
        flow.store.flush()
        return 0 if job.status == "completed" else 1
    finally:
        flow.shutdown()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
