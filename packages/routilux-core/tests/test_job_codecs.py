"""Job codecs: a serializer's fast path for JobState.save/load (routilux.serialization.jobs).

A codec registered for a serializer gets the job's snapshot on save and the file's bytes
on load; returning None leaves either to the serializer's dumps/loads. These tests use a
JSON serializer and a codec that does the same work through the protocol, and count calls.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

import pytest

from routilux import JobState
from routilux.job_state_codec import snapshot_job
from routilux.plugins.specs import SerializerSpec
from routilux.serialization import JobParts, JobSnapshot, job_codec_for, register_job_codec


def make_spec() -> SerializerSpec:
    """A fresh JSON serializer (its own functions, so it equals no other spec)."""

    def dumps(obj: Any) -> bytes:
        return json.dumps(obj, sort_keys=True).encode()

    def loads(data: bytes) -> Any:
        return json.loads(data)

    return SerializerSpec(name="codec-json", dumps=dumps, loads=loads)


class CountingCodec:
    """Writes what ``dumps(snapshot.to_data())`` writes; reads records as rows; None when told."""

    def __init__(self, spec: SerializerSpec, *, decline: bool = False, flat: bool = False) -> None:
        self.spec = spec
        self.decline = decline
        self.flat = flat
        self.snapshots: list[JobSnapshot] = []
        self.loads = 0

    def dump_job(self, snapshot: JobSnapshot) -> bytes | None:
        self.snapshots.append(snapshot)
        return None if self.decline else self.spec.dumps(snapshot.to_data())

    def load_job(self, raw: bytes) -> JobParts | None:
        self.loads += 1
        if self.decline:
            return None
        data = json.loads(raw)
        history = data.pop("execution_history")
        rows = [(r["routine_id"], r["event_name"], r["data"], datetime.fromisoformat(r["timestamp"]))
                for r in history]
        return JobParts(data, rows, self.flat)


def busy_job() -> JobState:
    job = JobState(flow_id="flow-1")
    for i in range(3):
        job.record_execution("src", "out", {"seq": i, "nested": {"list": [i]}})
    job.emit_log.append((time.time() + 60, "src", "emitted", {"seq": 99}))  # the engine's form, newest
    job.update_shared_data("counter", 3)
    return job


@pytest.fixture
def codec() -> CountingCodec:
    spec = make_spec()
    registered = CountingCodec(spec)
    register_job_codec(spec, registered)
    return registered


def test_save_and_load_go_through_the_registered_codec(codec, tmp_path):
    job = busy_job()
    path = tmp_path / "job.json"
    job.save(path, serializer=codec.spec)
    (snapshot,) = codec.snapshots
    assert snapshot.to_data() == job.serialize()
    assert [r.event_name for r in snapshot.history] == ["out", "out", "out", "emitted"]
    assert json.loads(path.read_bytes()) == job.serialize()
    loaded = JobState.load(path, serializer=codec.spec)
    assert codec.loads == 1
    assert loaded.serialize() == job.serialize()
    assert [r.data for r in loaded.execution_history] == [r.data for r in job.execution_history]


def test_a_codec_returning_none_leaves_the_job_to_dumps_and_loads(tmp_path):
    spec = make_spec()
    declining = CountingCodec(spec, decline=True)
    register_job_codec(spec, declining)
    job = busy_job()
    path = tmp_path / "job.json"
    job.save(path, serializer=spec)
    assert len(declining.snapshots) == 1
    assert json.loads(path.read_bytes()) == job.serialize()
    assert JobState.load(path, serializer=spec).serialize() == job.serialize()
    assert declining.loads == 1


def test_a_serializer_without_a_codec_is_used_as_before(tmp_path):
    spec = make_spec()
    assert job_codec_for(spec) is None
    job = busy_job()
    job.save(tmp_path / "job.json", serializer=spec)
    assert JobState.load(tmp_path / "job.json", serializer=spec).serialize() == job.serialize()


def test_a_subclass_with_its_own_serialize_is_written_by_it(codec, tmp_path):
    class Tagged(JobState):
        def serialize(self) -> dict[str, Any]:
            return {**super().serialize(), "note": "mine"}

        def deserialize(self, data: dict[str, Any], registry: Any = None) -> Tagged:
            super().deserialize(data, registry)
            self.note = data["note"]
            return self

    job = Tagged("f")
    job.record_execution("a", "b", {})
    job.save(tmp_path / "job.json", serializer=codec.spec)
    assert codec.snapshots == []
    assert json.loads((tmp_path / "job.json").read_bytes())["note"] == "mine"
    assert Tagged.load(tmp_path / "job.json", serializer=codec.spec).note == "mine"
    assert codec.loads == 0


def test_rows_are_held_to_the_depth_limit_unless_the_codec_says_flat(codec, tmp_path):
    job = JobState("f")
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(120):
        node["k"] = {}
        node = node["k"]
    path = tmp_path / "job.json"
    data = job.serialize()
    data["execution_history"] = [
        {"_type": "ExecutionRecord", "routine_id": "r", "event_name": "e", "data": deep,
         "timestamp": datetime(2024, 1, 1).isoformat()}
    ]
    path.write_bytes(json.dumps(data).encode())
    message = r"execution_history'\[0\], field 'data': data nested deeper than 100"
    with pytest.raises(ValueError, match=message):
        JobState.load(path, serializer=codec.spec)


def test_loaded_rows_become_records_with_read_records_defaults(codec, tmp_path):
    job = JobState("f")
    job.record_execution("r", "e", {"x": 1})
    path = tmp_path / "job.json"
    job.save(path, serializer=codec.spec)
    data = json.loads(path.read_bytes())
    data["execution_history"][0]["data"] = None
    path.write_bytes(json.dumps(data).encode())
    (record,) = JobState.load(path, serializer=codec.spec).execution_history
    assert record.data == {} and record.routine_id == "r"


def test_a_non_job_file_read_by_a_codec_is_refused_naming_the_type(codec, tmp_path):
    path = tmp_path / "flow.json"
    path.write_bytes(json.dumps({"_type": "Flow", "execution_history": []}).encode())
    with pytest.raises(ValueError, match="'_type' is 'Flow'"):
        JobState.load(path, serializer=codec.spec)


def test_dump_job_must_return_bytes(tmp_path):
    spec = make_spec()

    class Broken(CountingCodec):
        def dump_job(self, snapshot: JobSnapshot) -> Any:
            return "text"

    register_job_codec(spec, Broken(spec))
    with pytest.raises(TypeError, match=r"dump_job\(\) returned str, not bytes"):
        busy_job().save(tmp_path / "job.json", serializer=spec)
    assert not (tmp_path / "job.json").exists()


def test_register_job_codec_checks_its_arguments():
    with pytest.raises(TypeError, match="spec must be a SerializerSpec, got str"):
        register_job_codec("json", CountingCodec(make_spec()))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="has no callable dump_job or load_job"):
        register_job_codec(make_spec(), object())  # type: ignore[arg-type]


def test_record_data_is_a_private_copy_as_serialize_writes_it():
    job = JobState("f")
    payload = {"list": [1, 2]}
    job.record_execution("r", "e", payload)
    job.record_execution("r", "e", None)
    snapshot = snapshot_job(job)
    first, second = (snapshot.record_data(record.data) for record in snapshot.history)
    assert first == payload and first is not payload and first["list"] is not payload["list"]
    assert second == {}
