"""0.10 code that registers its routines with serilux's own decorator runs unchanged (issue 16).

Needs the real serilux (and routilux-json-store): the ``serilux`` tox env installs both and sets
ROUTILUX_REQUIRE_SERILUX=1, so that a missing serilux fails there instead of skipping. Every
other env runs without serilux, and this module skips.

``data/flow_010.json`` and ``data/job_010.json`` were written by routilux 0.10.0 with serilux
0.3.1 (``data/make_010_files.py``); the classes they name are defined below, as 0.10 code would.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

if os.environ.get("ROUTILUX_REQUIRE_SERILUX"):
    import serilux
else:
    serilux = pytest.importorskip("serilux", reason="serilux is not installed (run `tox -e serilux`)")

import routilux  # noqa: E402
from routilux import Flow, JobState, Routine  # noqa: E402
from routilux_json_store import Store  # noqa: E402

DATA = Path(__file__).resolve().with_name("data")
TIMEOUT = 10


# -- routines as 0.10 code wrote them: serilux's decorator, no routilux one -------------------------


@serilux.register_serializable
class NumberSource(Routine):
    def __init__(self):
        super().__init__()
        self.trigger_slot = self.define_slot("trigger", handler=self.start)
        self.number_event = self.define_event("number", ["n"])

    def start(self, count=3, **kwargs):
        for n in range(count):
            self.emit("number", n=n)


@serilux.register_serializable
class LongRunningRoutine(Routine):
    def __init__(self):
        super().__init__()
        self.set_config(factor=10)
        self.input_slot = self.define_slot("input", handler=self.work)
        self.done_event = self.define_event("done", ["value"])

    def work(self, n=None, **kwargs):
        pause_at = self.get_config("pause_at")
        self.emit("done", value=n * self.get_config("factor"))
        if n == pause_at:
            ctx = self.get_execution_context()
            ctx.flow.pause(ctx.job_state, reason="checkpoint", checkpoint={"n": n})


@serilux.register_serializable
class Collector(Routine):
    def __init__(self):
        super().__init__()
        self.seen = []
        self.collect_slot = self.define_slot("collect", handler=self.take)

    def take(self, value=None, **kwargs):
        self.seen.append(value)


def build_flow(flow_id: str = "retry_serialization_demo", pause_at: int | None = None) -> Flow:
    flow = Flow(flow_id=flow_id)
    worker = LongRunningRoutine()
    if pause_at is not None:
        worker.set_config(pause_at=pause_at)
    flow.add_routine(NumberSource(), "source")
    flow.add_routine(worker, "long_running")
    flow.add_routine(Collector(), "collector")
    flow.connect("source", "number", "long_running", "input")
    flow.connect("long_running", "done", "collector", "collect")
    return flow


def run_to_end(flow: Flow, job: JobState) -> None:
    try:
        assert JobState.wait_for_completion(flow, job, timeout=TIMEOUT), f"job still {job.status}"
    finally:
        flow.shutdown()


# -- tests ---------------------------------------------------------------------------------------


def test_flow_round_trips_through_json_and_runs() -> None:
    data = json.loads(json.dumps(build_flow().serialize()))

    flow = Flow().deserialize(data)
    assert [type(r) for r in flow.routines.values()] == [NumberSource, LongRunningRoutine, Collector]
    assert flow.routines["long_running"].get_config("factor") == 10
    assert len(flow.connections) == 2
    job = flow.execute("source", entry_params={"count": 4})
    run_to_end(flow, job)
    assert job.status == "completed"
    assert flow.routines["collector"].seen == [0, 10, 20, 30]


def test_paused_job_round_trips_through_the_store_and_job_files(tmp_path: Path) -> None:
    flow = build_flow(flow_id="serilux-store", pause_at=1)
    job = flow.execute("source", entry_params={"count": 5})
    try:
        assert JobState.wait_for_completion(flow, job, timeout=TIMEOUT)  # returns once paused
        assert job.status == "paused" and job.pending_tasks
        before = list(flow.routines["collector"].seen)
        store = Store(tmp_path / "store")
        store.save_flow(flow)
        store.save_job(job)
        job.save(tmp_path / "job.json")
    finally:
        flow.shutdown()

    reloaded = JobState.load(tmp_path / "job.json")
    assert (reloaded.job_id, reloaded.status) == (job.job_id, "paused")
    assert reloaded.pending_tasks == job.pending_tasks

    flow2 = store.load_flow("serilux-store")
    job2 = store.load_job(job.job_id)
    assert type(flow2.routines["long_running"]) is LongRunningRoutine
    assert job2.pending_tasks == job.pending_tasks
    flow2.resume(job2)
    run_to_end(flow2, job2)
    assert job2.status == "completed"
    # Nothing lost, nothing delivered twice: the two runs together saw every value once.
    assert sorted(before + flow2.routines["collector"].seen) == [0, 10, 20, 30, 40]


def test_files_written_by_routilux_010_load_and_resume(tmp_path: Path) -> None:
    flow_data = json.loads((DATA / "flow_010.json").read_text(encoding="utf-8"))
    job_id = json.loads((DATA / "job_010.json").read_text(encoding="utf-8"))["job_id"]
    # Moving the files into a store: flows/<flow_id>.json and jobs/<job_id>.json, unchanged.
    store = Store(tmp_path / "store")
    (tmp_path / "store" / "flows").mkdir(parents=True)
    (tmp_path / "store" / "jobs").mkdir()
    shutil.copy(DATA / "flow_010.json", store.path("flows", flow_data["flow_id"]))
    shutil.copy(DATA / "job_010.json", store.path("jobs", job_id))

    direct = JobState.load(DATA / "job_010.json")
    assert (direct.status, len(direct.pending_tasks)) == ("paused", 3)
    assert type(Flow().deserialize(flow_data).routines["source"]) is NumberSource

    flow = store.load_flow(flow_data["flow_id"])
    job = store.load_job(job_id)
    flow.resume(job)
    run_to_end(flow, job)
    assert job.status == "completed"
    assert flow.routines["collector"].seen == [0, 10, 20]


def test_a_010_job_resumes_on_the_flow_rebuilt_in_code_with_the_010_routine_ids(tmp_path: Path) -> None:
    """The README's route for a 0.10 flow file whose connections its names alone cannot place."""
    old = json.loads((DATA / "flow_010.json").read_text(encoding="utf-8"))
    flow = build_flow()
    for key, routine in flow.routines.items():
        routine._id = old["routines"][key]["_id"]  # the ids the 0.10 job's pending activations name
    store = Store(tmp_path / "store")
    store.save_flow(flow)
    store.save_job(JobState.load(DATA / "job_010.json"))
    flow.shutdown()

    flow = store.load_flow(old["flow_id"])
    job = store.load_job(json.loads((DATA / "job_010.json").read_text(encoding="utf-8"))["job_id"])
    flow.resume(job)
    run_to_end(flow, job)
    assert job.status == "completed"
    assert flow.routines["collector"].seen == [0, 10, 20]


def test_a_class_with_both_decorators_is_one_class() -> None:
    @routilux.register_serializable
    @serilux.register_serializable
    class BothDecorators(Collector):
        pass

    @serilux.register_serializable
    @routilux.register_serializable
    class BothReversed(Collector):
        pass

    for cls in (BothDecorators, BothReversed):
        flow = Flow(flow_id=f"both-{cls.__name__}")
        flow.add_routine(cls(), "c")
        assert type(Flow().deserialize(flow.serialize()).routines["c"]) is cls


def _named(name: str) -> type[Routine]:
    return type(name, (Collector,), {})


def test_one_name_for_two_classes_is_a_clash_naming_both() -> None:
    # serilux's decorator first: routilux's refuses the name at once, like a clash of its own.
    name = f"Clash_{uuid.uuid4().hex[:10]}"
    theirs = serilux.register_serializable(_named(name))
    with pytest.raises(ValueError, match="Class name conflict") as raised:
        routilux.register_serializable(_named(name))
    assert f"{theirs.__module__}.{theirs.__qualname__}" in str(raised.value)
    assert "(serilux.register_serializable)" in str(raised.value)

    # routilux's first: serilux cannot tell, so the flow refuses to load with both named.
    name = f"Clash_{uuid.uuid4().hex[:10]}"
    ours = routilux.register_serializable(_named(name))
    flow = Flow(flow_id="clash")
    flow.add_routine(ours(), "c")
    data = flow.serialize()
    theirs = serilux.register_serializable(_named(name))
    with pytest.raises(ValueError, match="Class name conflict") as raised:
        Flow().deserialize(data)
    message = str(raised.value)
    assert f"{ours.__module__}.{ours.__qualname__} (routilux.register_serializable)" in message
    assert f"{theirs.__module__}.{theirs.__qualname__} (serilux.register_serializable)" in message


def test_routilux_never_imports_serilux_itself(tmp_path: Path) -> None:
    """serilux is installed, yet loading flows and jobs leaves it unimported until the user imports it."""
    store_dir = tmp_path / "store"
    flow = Flow(flow_id="plain")
    flow.add_routine(Routine(), "r")
    Store(store_dir).save_flow(flow)
    job = JobState(flow_id="plain")
    Store(store_dir).save_job(job)
    script = textwrap.dedent(
        f"""
        import sys

        import routilux
        from routilux import Flow, JobState
        from routilux_json_store import Store

        store = Store({str(store_dir)!r})
        store.load_flow("plain")
        store.load_job({job.job_id!r})
        JobState.load(store.path("jobs", {job.job_id!r}))
        try:
            Flow().deserialize({{"_type": "Flow", "flow_id": "x", "routines": {{"r": {{"_type": "Nope"}}}}}})
        except ValueError:
            pass
        print("serilux" in sys.modules)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "False"


def test_serilux_classes_load_in_a_fresh_process_that_imports_serilux(tmp_path: Path) -> None:
    """The issue's scenario end to end: a 0.10 script, run as is, loading a 0.10 job and resuming it."""
    script = tmp_path / "script_010.py"
    source = (DATA / "make_010_files.py").read_text(encoding="utf-8").split('if __name__ == "__main__":')[0]
    script.write_text(
        source
        + textwrap.dedent(
            f"""
            if __name__ == "__main__":
                from routilux import JobState

                with open({str(DATA / "flow_010.json")!r}, encoding="utf-8") as f:
                    flow = Flow().deserialize(json.load(f))
                job = JobState.load({str(DATA / "job_010.json")!r})
                flow.resume(job)
                JobState.wait_for_completion(flow, job, timeout={TIMEOUT})
                flow.shutdown()
                print(job.status, flow.routines["collector"].seen)
            """
        ),
        encoding="utf-8",
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "completed [0, 10, 20]"
