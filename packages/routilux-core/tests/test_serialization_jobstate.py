"""JobState (de)serialization, save/load through serializer plugins (spec §11.5, §9.1)."""

from __future__ import annotations

import copy
import json
import threading
import time
from datetime import datetime

import pytest

from routilux import ExecutionRecord, ExecutionTracker, Flow, JobState, Routine
from routilux.plugins.hookspecs import hookimpl
from routilux.plugins.specs import SerializerSpec
from routilux.testing import FakeEntryPoint, make_registry, use_registry


class PlainJsonFormat:
    """A second serializer, registered through a fake entry point: plain JSON under ``.pj``."""

    def __init__(self):
        self.dumped = 0

    def dumps(self, obj):
        self.dumped += 1
        return json.dumps(obj, sort_keys=True).encode("utf-8")

    @staticmethod
    def loads(data):
        return json.loads(data.decode("utf-8"))

    @hookimpl
    def routilux_register_serializers(self):
        return [SerializerSpec(name="plainjson", dumps=self.dumps, loads=self.loads, suffixes=(".pj",))]


@pytest.fixture
def plainjson():
    fmt = PlainJsonFormat()
    with use_registry(
        make_registry(entry_points=[FakeEntryPoint("plainjson", fmt, distribution="fake-fmt")])
    ):
        yield fmt


@pytest.fixture
def no_serializers():
    with use_registry(make_registry(entry_points=[])):
        yield


def busy_job():
    job = JobState(flow_id="flow-1")
    job.status = "paused"
    job.current_routine_id = "src"
    job.update_routine_state("src", {"status": "completed", "nested": {"k": [1, 2]}})
    for i in range(5):
        job.record_execution("src", "output", {"seq": i})
    job.emit_log.append((time.time(), "src", "emitted", {"seq": 99}))  # how the engine records emits
    job.pending_tasks = [
        {
            "slot_routine_id": "dst",
            "slot_name": "input",
            "data": {"seq": 7},
            "connection_source_routine_id": "src",
            "connection_source_event_name": "output",
            "connection_target_routine_id": "dst",
            "connection_target_slot_name": "input",
            "param_mapping": {},
            "priority": 2,
            "retry_count": 0,
            "max_retries": 0,
            "created_at": None,
        }
    ]
    job.add_deferred_event("src", "output", {"seq": 100})
    job.update_shared_data("counter", 3)
    job.append_to_shared_log({"msg": "hello"})
    job.pause_points.append({"checkpoint": {"at": 7}, "reason": "test"})
    job.output_log.append(
        {"routine_id": "dst", "output_type": "t", "data": {}, "timestamp": "2024-01-01T00:00:00"}
    )
    return job


def test_round_trip_restores_every_field_without_mutating_input():
    job = busy_job()
    data = json.loads(json.dumps(job.serialize()))
    before = copy.deepcopy(data)
    restored = JobState().deserialize(data)
    assert data == before
    for name in (
        "flow_id",
        "job_id",
        "status",
        "current_routine_id",
        "routine_states",
        "pause_points",
        "pending_tasks",
        "deferred_events",
        "shared_data",
        "shared_log",
        "output_log",
    ):
        assert getattr(restored, name) == getattr(job, name), name
    assert isinstance(restored.created_at, datetime) and restored.created_at == job.created_at
    assert restored.updated_at == job.updated_at
    history = restored.execution_history
    assert [(r.routine_id, r.event_name, r.data) for r in history] == [
        (r.routine_id, r.event_name, r.data) for r in job.execution_history
    ]
    assert all(isinstance(r, ExecutionRecord) and isinstance(r.timestamp, datetime) for r in history)
    restored.routine_states["src"]["nested"]["k"].append(3)
    assert data == before


def test_execution_record_round_trip():
    record = ExecutionRecord("r", "ev", {"a": 1}, datetime(2024, 5, 1, 12, 0, 0, 5))
    data = record.serialize()
    assert data == {
        "_type": "ExecutionRecord",
        "routine_id": "r",
        "event_name": "ev",
        "data": {"a": 1},
        "timestamp": "2024-05-01T12:00:00.000005",
    }
    back = ExecutionRecord().deserialize(data)
    assert (back.routine_id, back.event_name, back.data, back.timestamp) == (
        "r",
        "ev",
        {"a": 1},
        record.timestamp,
    )


def test_tracker_round_trip():
    tracker = ExecutionTracker("f")
    tracker.record_routine_start("a", {"x": 1})
    tracker.record_routine_end("a")
    tracker.record_event("a", "out", "b", {"v": 1})
    data = json.loads(json.dumps(tracker.serialize()))
    assert data["_type"] == "ExecutionTracker"
    back = ExecutionTracker().deserialize(data)
    assert back.flow_id == "f" and back.routine_executions == tracker.routine_executions
    assert back.event_flow == tracker.event_flow


class Spinner(Routine):
    def __init__(self):
        super().__init__()
        self.define_slot("trigger", handler=self.go)
        self.define_slot("input", handler=self.work)
        self.define_event("out", ["i"])

    def go(self, n=0, **kw):
        for i in range(n):
            self.emit("out", i=i)

    def work(self, i):
        context = self.get_execution_context()
        context.job_state.update_routine_state(f"r{i % 50}", {"status": "completed", "i": i})
        context.job_state.update_shared_data(f"k{i}", [i])


def test_serialize_while_workers_mutate_the_job_is_json_able():
    flow = Flow(flow_id="race", execution_strategy="concurrent", max_workers=4)
    flow.add_routine(Spinner(), "src")
    flow.add_routine(Spinner(), "dst")
    flow.connect("src", "out", "dst", "input")
    job = flow.execute("src", entry_params={"n": 3000})
    snapshots = 0
    while job.status == "running" and snapshots < 200:
        json.dumps(job.serialize())
        snapshots += 1
    assert JobState.wait_for_completion(flow, job, timeout=30)
    restored = JobState().deserialize(json.loads(json.dumps(job.serialize())))
    assert (restored.flow_id, restored.status, restored.current_routine_id) == (
        job.flow_id,
        job.status,
        "src",
    )
    assert len(restored.routine_states) == len(job.routine_states)
    assert len(restored.execution_history) == len(job.execution_history)
    flow.shutdown()


# -- files --------------------------------------------------------------------------------------


def test_save_and_load_through_a_plugin_format_by_suffix_and_by_name(plainjson, tmp_path):
    job = busy_job()
    path = tmp_path / "deep" / "dir" / "job.pj"
    job.save(path)
    assert plainjson.dumped == 1
    assert json.loads(path.read_bytes())["_type"] == "JobState"
    loaded = JobState.load(path)
    assert loaded.job_id == job.job_id and loaded.pending_tasks == job.pending_tasks
    other = tmp_path / "job.data"
    job.save(other, serializer="plainjson")
    assert JobState.load(other, serializer="plainjson").job_id == job.job_id
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_load_errors(plainjson, tmp_path):
    with pytest.raises(FileNotFoundError):
        JobState.load(tmp_path / "missing.pj")
    wrong = tmp_path / "flow.pj"
    wrong.write_bytes(json.dumps({"_type": "Flow"}).encode())
    with pytest.raises(ValueError, match="'_type' is 'Flow'"):
        JobState.load(wrong)
    untyped = tmp_path / "untyped.pj"
    untyped.write_bytes(b'{"flow_id": "x"}')
    with pytest.raises(ValueError, match="_type"):
        JobState.load(untyped)
    truncated = tmp_path / "truncated.pj"
    full = json.dumps(busy_job().serialize()).encode()
    truncated.write_bytes(full[: len(full) // 2])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        JobState.load(truncated)
    with pytest.raises(ValueError, match="unknown serializer 'yaml'"):
        busy_job().save(tmp_path / "x.yaml", serializer="yaml")


def test_without_a_serializer_plugin_the_error_says_what_to_install(no_serializers, tmp_path):
    with pytest.raises(ValueError, match="routilux-json-store"):
        busy_job().save(tmp_path / "job.json")
    (tmp_path / "job.json").write_bytes(b"{}")
    with pytest.raises(ValueError, match="routilux-json-store"):
        JobState.load(tmp_path / "job.json")


@pytest.mark.parametrize(
    "patch, error, match",
    [
        ({"status": 3}, TypeError, "'status'.*3"),
        ({"routine_states": []}, TypeError, "routine_states"),
        ({"created_at": "yesterday"}, ValueError, "created_at.*yesterday"),
        ({"execution_history": [{"routine_id": 1}]}, TypeError, "routine_id"),
        ({"pending_tasks": [{"slot_name": "x", "retry_count": -1}]}, ValueError, "retry_count"),
        ({"pending_tasks": [{"slot_name": ["x"]}]}, TypeError, "slot_name"),
        ({"pending_tasks": [{"data": {}}]}, ValueError, "slot_name"),
        ({"deferred_events": [{"routine_id": "a"}]}, TypeError, "event_name"),
        ({"history_limit": -1}, ValueError, "history_limit"),
        ({"_type": "Flow"}, ValueError, "_type"),
    ],
)
def test_malformed_job_fields_name_field_and_value(patch, error, match):
    data = {**busy_job().serialize(), **patch}
    with pytest.raises(error, match=match):
        JobState().deserialize(data)


def test_failed_deserialize_leaves_the_job_unchanged():
    job = busy_job()
    before = job.serialize()
    with pytest.raises(ValueError):
        job.deserialize({**before, "job_id": "other", "updated_at": "not a date"})
    assert job.serialize() == before


def test_a_restored_paused_job_resumes_its_pending_activations():
    received = []
    done = threading.Event()

    class Sink(Routine):
        def __init__(self):
            super().__init__()
            self.define_slot("input", handler=self.take)

        def take(self, seq):
            received.append(seq)
            done.set()

    flow = Flow(flow_id="flow-1")
    flow.add_routine(Spinner(), "src")
    flow.add_routine(Sink(), "dst")
    flow.connect("src", "out", "dst", "input", param_mapping={"i": "seq"})
    job = busy_job()
    job.deferred_events = []
    job.pending_tasks[0].update(data={"i": 7}, connection_source_event_name="out")  # mapped on delivery
    restored = JobState().deserialize(json.loads(json.dumps(job.serialize())))
    flow.resume(restored)
    assert JobState.wait_for_completion(flow, restored, timeout=10)
    assert restored.status == "completed" and received == [7]
    assert restored.pending_tasks == []
    flow.shutdown()
