"""Routines and process entry points for test_resume_elsewhere.py (imported by every process).

Each delivery is appended as one line "<routine key> <seq>" to the file named by
the module global ``LOG``; every process writes its own file.
"""

from __future__ import annotations

import json
import sys
import threading

from routilux import Flow, JobState, Routine, register_serializable

LOG = None
_log_lock = threading.Lock()


def record(who: str, seq: int) -> None:
    with _log_lock, open(LOG, "a", encoding="utf-8") as handle:
        handle.write(f"{who} {seq}\n")


@register_serializable
class ResumeSource(Routine):
    def __init__(self):
        super().__init__()
        self.define_slot("trigger", handler=self.start)
        self.define_event("out", ["seq"])

    def start(self, n=0, **kw):
        for seq in range(n):
            self.emit("out", seq=seq)


@register_serializable
class ResumeWorker(Routine):
    """Records, forwards, and at ``pause_at`` pauses its own job (from inside the handler)."""

    def __init__(self):
        super().__init__()
        self.define_slot("in", handler=self.on_item)
        self.define_event("out", ["item"])

    def on_item(self, seq):
        record(self.get_config("name"), seq)
        self.emit("out", item=seq)
        if self.get_config("pause_at") == seq:
            context = self.get_execution_context()
            context.flow.pause(context.job_state, reason="test", checkpoint={"seq": seq})


@register_serializable
class ResumeSink(Routine):
    def __init__(self):
        super().__init__()
        self.define_slot("in", handler=self.on_item)

    def on_item(self, item):
        record(self.get_config("name"), item)


def build_flow(pause_at):
    # Concurrent: a handler pausing its own job waits for the other running activations.
    flow = Flow(flow_id="resume-flow", execution_strategy="concurrent", max_workers=4)
    flow.add_routine(ResumeSource(), "source")
    for key in ("w1", "w2"):  # two workers and three sinks sharing slot names: repeated-name topology
        worker = ResumeWorker()
        worker.set_config(name=key, pause_at=pause_at if key == "w1" else None)
        flow.add_routine(worker, key)
        flow.connect("source", "out", key, "in")
    for key in ("s1", "s2", "s3"):
        sink = ResumeSink()
        sink.set_config(name=key)
        flow.add_routine(sink, key)
    flow.connect("w1", "out", "s1", "in")
    flow.connect("w1", "out", "s2", "in")
    flow.connect("w2", "out", "s3", "in", param_mapping={"item": "item"})
    return flow


def run(log, n, pause_at, store_dir):
    """Process A (pause_at set: pause and save) or the uninterrupted reference run."""
    global LOG
    LOG = log
    flow = build_flow(pause_at)
    job = flow.execute("source", entry_params={"n": n})
    if not JobState.wait_for_completion(flow, job, timeout=60):
        raise SystemExit(f"job did not settle: {job.status}")
    result = {"status": job.status, "job_id": job.job_id, "pending": len(job.pending_tasks)}
    if store_dir is not None:
        from routilux_json_store import Store

        store = Store(store_dir)
        store.save_flow(flow)
        store.save_job(job)
    print(json.dumps(result))


def resume(log, store_dir, job_id):
    """Process B: load the flow and the job from the store and run the job to completion."""
    global LOG
    LOG = log
    from routilux_json_store import Store

    store = Store(store_dir)
    flow = store.load_flow("resume-flow")
    flow.routines["w1"].set_config(pause_at=None)
    job = store.load_job(job_id)
    assert job.status == "paused", job.status
    flow.resume(job)
    finished = JobState.wait_for_completion(flow, job, timeout=60)
    print(json.dumps({"finished": finished, "status": job.status, "pending": len(job.pending_tasks)}))


if __name__ == "__main__":
    command, args = sys.argv[1], json.loads(sys.argv[2])
    {"run": run, "resume": resume}[command](**args)
