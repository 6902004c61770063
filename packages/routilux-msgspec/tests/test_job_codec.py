"""JobState.save/load's fast path (routilux_msgspec.job_codec): the same files and the same jobs.

Whatever path writes a job, the file must be byte for byte what the serializer's
``dumps`` writes for ``job.serialize()``, and loading it must give the job that
``deserialize(loads(bytes))`` gives; errors must be the generic path's.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import time
from collections.abc import Sequence
from typing import Any

import pytest

from routilux import ExecutionRecord, JobState
from routilux.job_state_codec import snapshot_job
from routilux.plugins import get_registry
from routilux_msgspec import json_codec, msgpack_codec

SUFFIX = {"msgpack": ".msgpack", "msgspec-json": ".msgspec.json"}
JOB_CODEC = {"msgpack": msgpack_codec.JOB_CODEC, "msgspec-json": json_codec.JOB_CODEC}
T0 = dt.datetime(2024, 5, 6, 7, 8, 9, 123456)


class Mode(enum.Enum):
    ON = "on"


class Name(str, enum.Enum):
    """A routine id that is a str, yet is written as an enum."""

    SRC = "src"


class Level(enum.IntEnum):
    HIGH = 3


class Text(str):
    """A str subclass: written as its str value, but as a key it makes the dict a tagged map."""


class Stamp(dt.datetime):
    """A datetime subclass: written by its isoformat(), never by msgspec's own ISO text."""


def plain_job() -> JobState:
    """The bench's workload in small: flat data, naive timestamps."""
    job = JobState(flow_id="bench-js")
    for i in range(50):
        job.record_execution(f"n{i % 10}", "out", {"seq": i, "ok": True, "x": 0.5, "s": "t", "n": None})
    return job


def with_records(*records: ExecutionRecord) -> JobState:
    job = JobState(flow_id="f")
    job.execution_history = list(records)
    job.update_shared_data("when", T0)  # a tagged value among the job's fields
    return job


def at(seconds: int, **kwargs: Any) -> dt.datetime:
    return (T0 + dt.timedelta(seconds=seconds)).replace(**kwargs)


JOBS = {
    "plain": plain_job,
    "every kind of data": lambda: with_records(
        ExecutionRecord("a", "e", {"t": (1, 2), "s": {3}, "d": T0, "m": Mode.ON, "b": b"\x00"}, at(0)),
        ExecutionRecord("a", "e", {"nested": {"list": [1, {"k": (2,)}]}}, at(1)),
        ExecutionRecord("a", "e", {1: "int key", "__routilux__": "lookalike"}, at(2)),
        ExecutionRecord("a", "e", {"seq": 1}, at(3)),
    ),
    "odd fields": lambda: with_records(
        ExecutionRecord(Name.SRC, Name.SRC, None, at(0)),
        ExecutionRecord("r", "e", {}, at(1, microsecond=0)),
        ExecutionRecord("r", "e", {"seq": 2}, dt.datetime(999, 1, 2, 3, 4, 5)),
    ),
    "aware timestamps": lambda: with_records(
        ExecutionRecord("r", "e", {"seq": 1}, at(0, tzinfo=dt.timezone.utc)),
        ExecutionRecord("r", "e", {"seq": 2}, at(1, tzinfo=dt.timezone(dt.timedelta(hours=-3, minutes=-30)))),
    ),
    "floats and big ints": lambda: with_records(
        ExecutionRecord("r", "e", {"nan": math.nan, "inf": -math.inf, "zero": -0.0}, at(0)),
        ExecutionRecord("r", "e", {"big": 2**70}, at(1)),
    ),
}


def emitted_job() -> JobState:
    job = plain_job()
    job.emit_log.append((time.time() + 3600, "n1", "emitted", {"seq": 99}))  # how the engine records emits
    return job


JOBS["with emit records"] = emitted_job


@pytest.fixture(params=["msgpack", "msgspec-json"])
def name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def saved_and_loaded(job: JobState, name: str, tmp_path: Any, same: Any) -> JobState:
    """Save ``job`` with ``name``, check the file and the load against the generic path, return the load."""
    spec = get_registry().get_serializer(name)
    path = tmp_path / f"job{SUFFIX[name]}"
    job.save(path)
    raw = path.read_bytes()
    assert raw == spec.dumps(job.serialize())
    loaded = JobState.load(path)
    same(loaded.serialize(), generic_load(spec, raw).serialize())
    return loaded


def generic_load(spec: Any, raw: bytes) -> JobState:
    return JobState().deserialize(spec.loads(raw))


@pytest.mark.parametrize("kind", sorted(JOBS))
def test_save_writes_what_dumps_writes_and_load_reads_what_loads_reads(kind, name, tmp_path, same):
    job = JOBS[kind]()
    loaded = saved_and_loaded(job, name, tmp_path, same)
    same([r.data for r in loaded.execution_history], [r.data for r in job.execution_history])


def test_the_common_job_takes_the_fast_path_both_ways(name):
    spec = get_registry().get_serializer(name)
    job = plain_job()
    encoded = JOB_CODEC[name].dump_job(snapshot_job(job))
    assert encoded == spec.dumps(job.serialize())
    parts = JOB_CODEC[name].load_job(encoded)
    assert parts is not None and parts.flat
    assert "execution_history" not in parts.fields and parts.fields["_type"] == "JobState"
    # Flat: the decoded records themselves, read by attribute (JobParts allows that for a Sequence).
    assert isinstance(parts.history, Sequence)
    record = parts.history[3]
    assert (record.routine_id, record.event_name, record.data, record.timestamp) == (
        "n3", "out", {"seq": 3, "ok": True, "x": 0.5, "s": "t", "n": None}, job.execution_history[3].timestamp
    )


def test_a_job_with_values_needing_tags_is_written_record_by_record(name):
    """Records outside the common case are tagged one by one; the rest of the job stays fast."""
    job = JOBS["every kind of data"]()
    encoded = JOB_CODEC[name].dump_job(snapshot_job(job))
    assert encoded == get_registry().get_serializer(name).dumps(job.serialize())


def test_subclasses_and_enums_are_written_as_the_generic_path_writes_them(name, tmp_path, same):
    """Values msgspec would write as their plain value: each such record is tagged as serialize() does.

    A str subclass or str enum key makes its dict a tagged map, even beside a plain equal key
    in another record; enum values are tagged; a str subclass routine id and a datetime
    subclass timestamp are written as their str and isoformat(). (Subclasses come back as
    their base type, so only the bytes and the generic load are compared.)
    """
    job = with_records(
        ExecutionRecord("r", "e", {"seq": 1}, at(0)),
        ExecutionRecord("r", "e", {Text("seq"): 2}, at(1)),
        ExecutionRecord("r", "e", {Name.SRC: 3, "v": Text("t")}, at(2)),
        ExecutionRecord("r", "e", {"level": Level.HIGH, "name": Name.SRC}, at(3)),
        ExecutionRecord(Text("r"), Text("e"), {"seq": 4}, at(4)),
        ExecutionRecord("r", "e", {"seq": 5}, Stamp(2024, 5, 6, 7, 8, 15)),
        ExecutionRecord("r", "e", {"seq": 6}, at(6)),
    )
    loaded = saved_and_loaded(job, name, tmp_path, same)
    assert [list(r.data.items()) for r in loaded.execution_history][1:4] == [
        [("seq", 2)], [(Name.SRC, 3), ("v", "t")], [("level", Level.HIGH), ("name", Name.SRC)]
    ]


def test_files_the_typed_decode_refuses_are_read_by_loads(name, tmp_path, same):
    """A file written by another program with a field of an odd type: the generic path's result."""
    spec = get_registry().get_serializer(name)
    data = plain_job().serialize()
    data["execution_history"][0]["timestamp"] = None  # read_record takes it: the time of loading
    data["execution_history"][1].pop("_type")
    data["execution_history"][2]["data"] = None
    path = tmp_path / f"job{SUFFIX[name]}"
    path.write_bytes(spec.dumps(data))
    loaded = JobState.load(path).execution_history  # sorted by time: the record stamped now is last
    assert loaded[0].data == {"seq": 1, "ok": True, "x": 0.5, "s": "t", "n": None}
    assert loaded[1].data == {}
    assert loaded[-1].data["seq"] == 0 and loaded[-1].timestamp > loaded[-2].timestamp


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        (lambda d: d["execution_history"][4].update(routine_id=7), TypeError,
         r"'execution_history'\[4\]: field 'routine_id' must be str, got int 7"),
        (lambda d: d["execution_history"][4].update(_type="Other"), ValueError, "expected 'ExecutionRecord'"),
        (lambda d: d["execution_history"][4].update(timestamp="yesterday"), ValueError,
         "field 'timestamp' is not an ISO datetime: 'yesterday'"),
        (lambda d: d.update(_type="Flow"), ValueError, "'_type' is 'Flow'"),
        (lambda d: d.update(status=3), TypeError, "field 'status' must be str, got int 3"),
    ],
)
def test_malformed_files_raise_the_generic_errors(change, error, match, name, tmp_path):
    spec = get_registry().get_serializer(name)
    data = plain_job().serialize()
    change(data)
    path = tmp_path / f"job{SUFFIX[name]}"
    path.write_bytes(spec.dumps(data))
    with pytest.raises(error, match=match):
        JobState.load(path)


def test_a_corrupt_file_is_a_value_error_naming_the_serializer(name, tmp_path):
    path = tmp_path / f"job{SUFFIX[name]}"
    plain_job().save(path)
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(ValueError, match=f"with serializer '{name}' \\(truncated or corrupt file\\?\\)"):
        JobState.load(path)


def test_saving_data_nested_too_deeply_fails_as_serialize_does(name, tmp_path):
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(150):
        node["k"] = {}
        node = node["k"]
    job = with_records(ExecutionRecord("r", "e", {"seq": 1}, at(0)), ExecutionRecord("r", "e", deep, at(1)))
    with pytest.raises(ValueError, match="nested deeper than 100 levels"):
        job.serialize()
    with pytest.raises(ValueError, match="nested deeper than 100 levels"):
        job.save(tmp_path / f"job{SUFFIX[name]}")
    assert not list(tmp_path.iterdir())


def test_an_unencodable_value_is_named_by_its_path(name, tmp_path):
    job = with_records(ExecutionRecord("r", "e", {"seq": 1}, at(0)),
                       ExecutionRecord("r", "e", {"x": dt.timedelta(1)}, at(1)))
    message = r'execution_history\[1\]\.data\["x"\] is of type datetime\.timedelta'
    with pytest.raises(TypeError, match=message):
        job.save(tmp_path / f"job{SUFFIX[name]}")
    assert not list(tmp_path.iterdir())


def test_saves_while_a_worker_records_and_changes_data_are_consistent(name, tmp_path):
    """Each save is one picture: every record it holds is whole, in order, with its data as
    recorded or as changed right after, never a torn or retyped value."""
    import threading

    job = JobState(flow_id="busy")
    started = threading.Event()
    total = 20_000

    def worker() -> None:
        for i in range(total):
            data = {"seq": i}
            job.record_execution("w", "out", data)
            data["seq"] = -i  # a routine changing the dict it recorded: an int either way
            if i == 50:
                started.set()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert started.wait(10), "the worker did not start"
        path = tmp_path / f"job{SUFFIX[name]}"
        counts = []
        for _ in range(10):
            job.save(path)
            seqs = [r.data["seq"] for r in JobState.load(path).execution_history]
            assert [abs(s) for s in seqs] == list(range(len(seqs)))
            assert all(type(s) is int for s in seqs)
            counts.append(len(seqs))
    finally:
        thread.join()
    assert counts == sorted(counts) and counts[0] > 50


def test_a_loaded_history_is_the_generic_one_and_its_records_stay_the_same(name, tmp_path):
    """The fast load keeps the decoded rows until the history is read, then makes records once."""
    spec = get_registry().get_serializer(name)
    job = plain_job()
    path = tmp_path / f"job{SUFFIX[name]}"
    job.save(path)
    loaded = JobState.load(path)
    generic = generic_load(spec, path.read_bytes())
    first = loaded.execution_history

    def described(records: list[ExecutionRecord]) -> list[tuple[Any, ...]]:
        return [(type(r), r.routine_id, r.event_name, r.data, r.timestamp) for r in records]

    assert described(first) == described(generic.execution_history) == described(job.execution_history)
    assert all(a is b for a, b in zip(first, loaded.execution_history))
    loaded.record_execution("late", "out", {"seq": -1})
    assert loaded.execution_history[-1].routine_id == "late" and len(loaded.records) == 51
    again = tmp_path / f"again{SUFFIX[name]}"
    JobState.load(path).save(again)
    assert again.read_bytes() == path.read_bytes()


@pytest.mark.parametrize("change", [lambda r: r.pop("timestamp"), lambda r: r.update(timestamp=None)])
def test_a_record_without_timestamp_is_not_flat(change, name):
    """Flat rows promise a datetime in every timestamp: the loaded job may then stamp them later."""
    spec = get_registry().get_serializer(name)
    data = plain_job().serialize()
    change(data["execution_history"][7])
    parts = JOB_CODEC[name].load_job(spec.dumps(data))
    assert parts is not None and not parts.flat
    assert list(parts.history)[7][3] is None
