"""A loaded history kept as rows (RecordLog): the same records, made once, when first read.

A job codec's flat rows, when it gives them as a Sequence, are kept by the loaded job and
become ExecutionRecords on the first read of its history. Everything observable must be what
an eager load gives: records, order, timestamps, identity across reads, later appends, and
the bytes of a second save. The codec here is JSON through the protocol; its rows count how
often they are read. A codec may also give its decoded records themselves as the rows (objects
with the four attributes of a record: routilux-msgspec gives its Structs); every test of flat rows
runs with both kinds.
"""

from __future__ import annotations

import gc
import json
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, overload

import pytest

from routilux import ExecutionRecord, JobState
from routilux.execution_record import RecordLog, loaded_records
from routilux.plugins.specs import SerializerSpec
from routilux.serialization import HistoryRow, JobParts, JobSnapshot, register_job_codec
from routilux.serialization.jobs import paused_gc

T0 = datetime(2024, 5, 6, 7, 8, 9, 123456)


@dataclass(frozen=True)
class Row:
    """A decoded record as a codec might keep it: the four attributes, in another order."""

    data: Any
    event_name: str
    routine_id: str
    timestamp: Any


#: A loaded row of either kind: a tuple in ExecutionRecord's parameter order, or a Row.
AnyRow = HistoryRow | Row


class CountedRows(Sequence[AnyRow]):
    """Rows that count how many times they are read whole."""

    def __init__(self, rows: list[AnyRow]) -> None:
        self.rows = rows
        self.reads = 0

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, index: int) -> AnyRow: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[AnyRow]: ...

    def __getitem__(self, index: int | slice) -> AnyRow | Sequence[AnyRow]:
        return self.rows[index]

    def __iter__(self) -> Iterator[AnyRow]:
        self.reads += 1
        return iter(self.rows)


class RowsCodec:
    """Writes ``dumps(snapshot.to_data())``; reads the records as CountedRows, flat when told.

    ``as_records``: the rows are :class:`Row` objects, not tuples.
    """

    def __init__(self, spec: SerializerSpec, *, flat: bool, as_records: bool = False) -> None:
        self.spec = spec
        self.flat = flat
        self.as_records = as_records
        self.given: list[CountedRows] = []

    def dump_job(self, snapshot: JobSnapshot) -> bytes | None:
        return self.spec.dumps(snapshot.to_data())  # type: ignore[no-any-return]

    def load_job(self, raw: bytes) -> JobParts | None:
        data = json.loads(raw)
        read: list[AnyRow] = []
        for r in data.pop("execution_history"):
            at = None if r["timestamp"] is None else datetime.fromisoformat(r["timestamp"])
            read.append(Row(r["data"], r["event_name"], r["routine_id"], at) if self.as_records
                        else (r["routine_id"], r["event_name"], r["data"], at))
        rows = CountedRows(read)
        self.given.append(rows)
        return JobParts(data, rows, self.flat)


def rows_codec(*, flat: bool, as_records: bool = False) -> RowsCodec:
    def dumps(obj: Any) -> bytes:
        return json.dumps(obj, sort_keys=True).encode()

    spec = SerializerSpec(name=f"rows-json-{flat}-{as_records}", dumps=dumps, loads=json.loads)
    codec = RowsCodec(spec, flat=flat, as_records=as_records)
    register_job_codec(spec, codec)
    return codec


def recorded_job(count: int = 20) -> JobState:
    job = JobState(flow_id="f")
    job.execution_history = [
        ExecutionRecord(f"n{i % 3}", "out", {"seq": i}, T0 + timedelta(seconds=i)) for i in range(count)
    ]
    job.execution_history = [*job.execution_history[5:], *job.execution_history[:5]]  # not in time order
    return job


def described(records: list[ExecutionRecord]) -> list[tuple[Any, ...]]:
    return [(type(r), r.routine_id, r.event_name, r.data, r.timestamp) for r in records]


@pytest.fixture(params=[False, True], ids=["tuples", "records"])
def flat_codec(request: pytest.FixtureRequest) -> RowsCodec:
    """A flat codec giving tuples, then one giving Row objects."""
    return rows_codec(flat=True, as_records=request.param)


def test_rows_by_attribute_give_the_records_tuples_give():
    rows = [("a", "e", {"k": 1}, T0), ("b", "f", None, T0 + timedelta(seconds=1)), ("c", "g", {}, T0)]
    by_position = loaded_records(rows)
    by_attribute = loaded_records([Row(data, event, rid, ts) for rid, event, data, ts in rows])
    assert described(by_attribute) == described(by_position) == [
        (ExecutionRecord, "a", "e", {"k": 1}, T0),
        (ExecutionRecord, "b", "f", {}, T0 + timedelta(seconds=1)),
        (ExecutionRecord, "c", "g", {}, T0),
    ]
    # As the constructor does: data of None is a new dict per record, a given dict is kept.
    assert by_attribute[1].data is not by_attribute[2].data
    assert by_attribute[0].data is rows[0][2]
    assert loaded_records([]) == []


def test_flat_rows_are_read_once_when_the_history_is_first_read(flat_codec, tmp_path):
    codec = flat_codec
    job = recorded_job()
    path = tmp_path / "job.json"
    job.save(path, serializer=codec.spec)
    loaded = JobState.load(path, serializer=codec.spec)
    assert codec.given[-1].reads == 0, "the rows were made into records before anything read them"
    eager = JobState()
    eager.deserialize(json.loads(path.read_bytes()))

    first = loaded.execution_history
    assert described(first) == described(eager.execution_history) == described(job.execution_history)
    assert described(loaded.records) == described(eager.records)  # the file's order, unsorted
    assert [r is s for r, s in zip(first, loaded.get_execution_history())] == [True] * len(first)
    assert codec.given[-1].reads == 1


def test_a_loaded_job_records_after_its_loaded_history_and_saves_the_same_bytes(flat_codec, tmp_path):
    codec = flat_codec
    path = tmp_path / "job.json"
    recorded_job().save(path, serializer=codec.spec)
    loaded = JobState.load(path, serializer=codec.spec)
    again = tmp_path / "again.json"
    loaded.save(again, serializer=codec.spec)
    assert again.read_bytes() == path.read_bytes()

    reloaded = JobState.load(path, serializer=codec.spec)
    reloaded.record_execution("late", "out", {"seq": 99})  # before the rows were read
    assert codec.given[-1].reads == 0
    records = reloaded.records
    assert [r.routine_id for r in records][-1] == "late" and len(records) == 21
    assert reloaded.get_execution_history("late")[0].data == {"seq": 99}


def test_replacing_the_history_of_a_loaded_job_drops_its_rows(flat_codec, tmp_path):
    codec = flat_codec
    path = tmp_path / "job.json"
    recorded_job().save(path, serializer=codec.spec)
    loaded = JobState.load(path, serializer=codec.spec)
    loaded.execution_history = [ExecutionRecord("only", "e", {}, T0)]
    assert [r.routine_id for r in loaded.execution_history] == ["only"]
    assert codec.given[-1].reads == 0


def test_rows_without_timestamp_are_made_at_load_when_not_flat(tmp_path):
    """Not flat: the codec vouches for nothing, so a missing timestamp is stamped at load."""
    codec = rows_codec(flat=False)
    data = recorded_job(3).serialize()
    data["execution_history"][1]["timestamp"] = None
    path = tmp_path / "job.json"
    path.write_bytes(codec.spec.dumps(data))
    before = datetime.now()
    loaded = JobState.load(path, serializer=codec.spec)
    after = datetime.now()
    stamped = loaded.execution_history[-1]
    assert stamped.data == data["execution_history"][1]["data"]
    assert before <= stamped.timestamp <= after
    assert loaded.execution_history[-1] is stamped


def test_first_reads_from_many_threads_make_the_records_once(flat_codec, tmp_path):
    codec = flat_codec
    path = tmp_path / "job.json"
    recorded_job(500).save(path, serializer=codec.spec)
    loaded = JobState.load(path, serializer=codec.spec)
    barrier = threading.Barrier(8)
    seen: list[list[ExecutionRecord]] = []

    def read() -> None:
        barrier.wait()
        seen.append(loaded.get_execution_history())

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codec.given[-1].reads == 1
    assert len(seen) == 8 and all(len(history) == 500 for history in seen)
    assert all(all(a is b for a, b in zip(seen[0], history)) for history in seen[1:])


@pytest.mark.parametrize("as_records", [False, True], ids=["tuples", "records"])
def test_restore_refuses_rows_without_timestamp_unless_checked(as_records):
    def row(routine_id: str, data: Any, at: Any) -> AnyRow:
        return Row(data, "e", routine_id, at) if as_records else (routine_id, "e", data, at)

    log = RecordLog(threading.RLock())
    with pytest.raises(ValueError, match="every row needs a timestamp"):
        log.restore([row("a", {}, T0), row("b", {}, None)])  # type: ignore[arg-type]
    assert log.records() == []
    log.restore([row("a", None, T0)])  # type: ignore[arg-type]
    [record] = log.records()
    assert (record.routine_id, record.event_name, record.data, record.timestamp) == ("a", "e", {}, T0)


def test_paused_gc_restores_the_collector_as_it_found_it():
    assert gc.isenabled()
    with pytest.raises(RuntimeError), paused_gc():
        assert not gc.isenabled()
        raise RuntimeError("boom")
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled(), "a program that runs without the collector got it back"
    finally:
        gc.enable()
