"""The serializers wherever routilux takes one: the registry, JobState.save/load, a paused job
resumed from a file, flows, the json-store Store and ``routilux run --save-job``."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
import threading
from typing import Any

import pytest

from routilux import Flow, JobState, Routine, register_serializable
from routilux.plugins import get_registry
from routilux_msgspec import MSGPACK_SERIALIZER, MSGSPEC_JSON_SERIALIZER, json_codec, msgpack_codec

WHEN = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone(dt.timedelta(hours=-3)))
TIMEOUT = 60


def test_the_installed_entry_point_registers_both_serializers():
    registry = get_registry()

    assert registry.get_serializer("msgpack") is MSGPACK_SERIALIZER
    assert registry.get_serializer("msgspec-json") is MSGSPEC_JSON_SERIALIZER
    by_suffix = {"job.msgpack": "msgpack", "JOB.MPK": "msgpack", "a.b.msgspec.json": "msgspec-json"}
    for file_name, serializer in by_suffix.items():
        assert registry.serializer_for_path(file_name).name == serializer
    records = [r for r in registry.plugins if "serializer:msgpack" in r.provides]
    assert [(r.distribution, r.status, r.entry_point) for r in records] == [
        ("routilux-msgspec", "ok", "msgspec = routilux_msgspec.plugin")
    ]


def test_registering_the_plugin_does_not_import_msgspec():
    code = (
        "import sys; from routilux.plugins import get_registry; "
        "assert 'msgpack' in get_registry().serializers; "
        "print(sorted(m for m in sys.modules if m.startswith(('msgspec', 'routilux_msgspec'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['routilux_msgspec', 'routilux_msgspec.plugin']"


def make_job() -> JobState:
    job = JobState("orders")
    job.record_execution("a", "out", {"pair": (1, "x"), "when": WHEN, "tags": {"p", "q"}, "blob": b"\x01"})
    job.update_shared_data("window", (dt.date(2024, 1, 1), dt.time(12, 30)))
    job.update_shared_data("by_id", {7: "seven", (1, 2): frozenset({3})})
    return job


@pytest.mark.parametrize(
    ("file_name", "codec"),
    [("job.msgpack", msgpack_codec), ("job.mpk", msgpack_codec), ("job.msgspec.json", json_codec)],
)
def test_job_state_save_and_load_choose_the_serializer_by_suffix(tmp_path, file_name, codec, same):
    job = make_job()
    path = tmp_path / "state" / file_name

    job.save(path)
    loaded = JobState.load(path)

    same(codec.loads(path.read_bytes()), job.serialize())  # written by this serializer
    same(loaded.serialize(), job.serialize())
    assert loaded.get_execution_history()[0].data["pair"] == (1, "x")
    assert loaded.get_shared_data("by_id")[(1, 2)] == frozenset({3})


def test_a_msgpack_file_is_not_json(tmp_path):
    path = tmp_path / "job.msgpack"
    make_job().save(path)

    assert path.read_bytes()[:1] != b"{"
    with pytest.raises(ValueError, match="serializer 'msgspec-json'"):
        JobState.load(path.rename(tmp_path / "job.msgspec.json"))


def test_a_corrupt_msgpack_file_is_a_value_error_naming_the_serializer(tmp_path):
    path = tmp_path / "job.msgpack"
    make_job().save(path)
    path.write_bytes(path.read_bytes()[:-7])

    with pytest.raises(ValueError, match="serializer 'msgpack'"):
        JobState.load(path)


# -- a paused job, saved and resumed ----------------------------------------------------------

DELIVERED: list[Any] = []
_delivered_lock = threading.Lock()


@register_serializable
class MsgspecSource(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.define_slot("trigger", handler=self.start)
        self.define_event("out", ["item"])

    def start(self, n: int = 0, **_: Any) -> None:
        for seq in range(n):
            self.emit("out", item=(seq, WHEN))  # a tuple holding a datetime: pending payloads too


@register_serializable
class MsgspecWorker(Routine):
    """Records each item; at ``pause_at`` pauses its own job from inside the handler."""

    def __init__(self) -> None:
        super().__init__()
        self.set_config(pause_at=None)
        self.define_slot("in", handler=self.on_item)

    def on_item(self, item: Any = None) -> None:
        with _delivered_lock:
            DELIVERED.append(item)
        if self.get_config("pause_at") == item[0]:
            context = self.get_execution_context()
            context.flow.pause(context.job_state, reason="test")


def build_flow(pause_at: Any) -> Flow:
    flow = Flow(flow_id="msgspec-resume", execution_strategy="sequential")
    flow.add_routine(MsgspecSource(), "source")
    worker = MsgspecWorker()
    worker.set_config(pause_at=pause_at)
    flow.add_routine(worker, "worker")
    flow.connect("source", "out", "worker", "in")
    return flow


def test_a_paused_job_saved_as_msgpack_resumes_to_completion(tmp_path):
    DELIVERED.clear()
    flow = build_flow(pause_at=3)
    job = flow.execute("source", entry_params={"n": 10})
    assert JobState.wait_for_completion(flow, job, timeout=TIMEOUT)
    assert job.status == "paused" and job.pending_tasks
    before = list(DELIVERED)
    path = tmp_path / "paused.msgpack"
    job.save(path)
    flow.shutdown(wait=True)

    DELIVERED.clear()
    again = build_flow(pause_at=None)
    loaded = JobState.load(path)
    assert loaded.status == "paused" and len(loaded.pending_tasks) == len(job.pending_tasks)
    again.resume(loaded)
    assert JobState.wait_for_completion(again, loaded, timeout=TIMEOUT)
    again.shutdown(wait=True)

    assert loaded.status == "completed"
    assert sorted(before + DELIVERED) == [(seq, WHEN) for seq in range(10)]
    assert all(type(item) is tuple and item[1].utcoffset() == WHEN.utcoffset() for item in DELIVERED)


# -- flows: nested routines' data ---------------------------------------------------------------


def test_a_flow_with_routine_config_round_trips(codec, same):
    flow = build_flow(pause_at=(1, 2))
    flow.routines["worker"].set_config(since=WHEN, kinds=frozenset({"a"}), limits={1: 2.5})
    data = flow.serialize()

    restored = codec.loads(codec.dumps(data))

    same(restored, data)
    same(Flow().deserialize(restored).serialize(), data)


def test_the_json_store_keeps_flows_and_jobs_as_msgpack(tmp_path, same, sibling):
    json_store = sibling("routilux_json_store")  # the Store is routilux-json-store's
    store = json_store.Store(tmp_path, serializer="msgpack")
    job = make_job()
    flow = build_flow(pause_at=None)
    flow.flow_id = "stored"

    assert store.save_job(job) == tmp_path / "jobs" / f"{job.job_id}.msgpack"
    assert store.save_flow(flow) == tmp_path / "flows" / "stored.msgpack"
    same(store.load_job(job.job_id).serialize(), job.serialize())
    same(store.load_flow("stored").serialize(), flow.serialize())
    assert store.list_jobs() == [job.job_id] and store.list_flows() == ["stored"]


# -- the command line -----------------------------------------------------------------------------

FLOW_FILE = """\
version: 1
flow_id: msgpack-cli
routines:
  src: {type: FlowInput, config: {each: items, item_key: item}}
  out: {type: FlowOutput}
connections:
  - {from: src.output, to: out.input}
entry: {routine: src, params: {items: [1, 2, 3]}}
"""


def test_routilux_run_save_job_writes_msgpack(tmp_path, sibling):
    sibling("routilux_cli")  # the routilux command
    flow_file = tmp_path / "flow.yaml"
    flow_file.write_text(textwrap.dedent(FLOW_FILE), encoding="utf-8")
    job_file = tmp_path / "jobs" / "done.msgpack"

    # The job is journaled into a store of this test's own, never the user's ~/.routilux.
    env = {**os.environ, "ROUTILUX_STORE": str(tmp_path / "jobs.db")}
    run = subprocess.run([sys.executable, "-m", "routilux_cli", "run", str(flow_file), "--save-job",
                          str(job_file)], capture_output=True, text=True, timeout=TIMEOUT, env=env)
    assert run.returncode == 0, run.stdout + run.stderr

    data = msgpack_codec.loads(job_file.read_bytes())
    assert data["_type"] == "JobState" and data["flow_id"] == "msgpack-cli" and data["status"] == "completed"
    assert JobState.load(job_file).status == "completed"
    inspected = subprocess.run([sys.executable, "-m", "routilux_cli", "inspect", str(job_file), "--json"],
                               capture_output=True, text=True, timeout=TIMEOUT)
    assert inspected.returncode == 0, inspected.stderr
    assert '"status": "completed"' in inspected.stdout
