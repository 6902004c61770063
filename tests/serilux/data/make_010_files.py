"""Writes flow_010.json and job_010.json the way a routilux 0.10 program did.

Kept for provenance: the two files next to this script were written by it under
routilux==0.10.0 and serilux==0.3.1 (``pip install routilux==0.10.0 serilux==0.3.1``
in a venv of its own, then ``python make_010_files.py`` in this directory). It is
not run by the tests, and cannot run against this repository's routilux, whose
``flow.pause`` waits differently. The routine classes must stay in step with
those of ``test_serilux_compat.py``, which loads the files.
"""

import json

from serilux import register_serializable

from routilux import Flow, Routine


@register_serializable
class NumberSource(Routine):
    def __init__(self):
        super().__init__()
        self.trigger_slot = self.define_slot("trigger", handler=self.start)
        self.number_event = self.define_event("number", ["n"])

    def start(self, count=3, **kwargs):
        for n in range(count):
            self.emit("number", n=n)


@register_serializable
class LongRunningRoutine(Routine):
    def __init__(self):
        super().__init__()
        self.set_config(factor=10)
        self.input_slot = self.define_slot("input", handler=self.work)
        self.done_event = self.define_event("done", ["value"])

    def work(self, n=None, **kwargs):
        self.emit("done", value=n * self.get_config("factor"))


@register_serializable
class Collector(Routine):
    def __init__(self):
        super().__init__()
        self.seen = []
        self.collect_slot = self.define_slot("collect", handler=self.take)

    def take(self, value=None, **kwargs):
        self.seen.append(value)


if __name__ == "__main__":
    flow = Flow(flow_id="retry_serialization_demo")
    flow.add_routine(NumberSource(), "source")
    flow.add_routine(LongRunningRoutine(), "long_running")
    flow.add_routine(Collector(), "collector")
    flow.connect("source", "number", "long_running", "input")
    flow.connect("long_running", "done", "collector", "collect")
    with open("flow_010.json", "w", encoding="utf-8") as out:
        json.dump(flow.serialize(), out, indent=2, ensure_ascii=False)
    # 0.10's sequential execute returns after the entry routine; pausing at once holds the
    # activations it queued (0.10's pause saves them in job.pending_tasks). 0.10's event loop
    # races with the pause, so a run may hold fewer: the files kept hold all three.
    job = flow.execute("source", entry_params={"count": 3})
    flow.pause(job, reason="saved by 0.10")
    job.save("job_010.json")
    print(job.status, len(job.pending_tasks), flow.routines["collector"].seen)
