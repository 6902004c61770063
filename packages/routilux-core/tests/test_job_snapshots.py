"""Snapshots of a running job (``serialize``, ``save``, ``copy_data``) are safe by design (issue 10 item 1).

Every container of a job is changed under ``job.lock`` and a snapshot copies them all under it;
each container is copied whole in one C call before it is walked, so even a writer that does not
take the lock cannot make a snapshot fail. The tests force the worst interleavings
deterministically: a garbage-collector callback runs "another writer" in the middle of a snapshot.
"""

from __future__ import annotations

import gc
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from routilux import Flow, JobState, Routine
from routilux.plugins.hookspecs import hookimpl
from routilux.plugins.specs import SerializerSpec
from routilux.routine import _current_job_state
from routilux.serialization.values import copy_data
from routilux.testing import FakeEntryPoint, make_registry, use_registry

WAIT = 30.0
WRITES = 2000


@pytest.fixture
def writer_inside_every_collection() -> Iterator[Callable[[Callable[[], None]], None]]:
    """``install(write)``: ``write()`` runs at the first ``WRITES`` young-generation collections,
    which happen at nearly every allocation of a tracked object (tuples, dicts, lists)."""
    callbacks: list[Any] = []
    threshold = gc.get_threshold()

    def install(write: Callable[[], None]) -> None:
        calls = {"n": 0}

        def callback(phase: str, info: dict[str, Any]) -> None:
            if phase == "start" and calls["n"] < WRITES:
                calls["n"] += 1
                write()

        callbacks.append(callback)
        gc.callbacks.append(callback)
        gc.set_threshold(1, 10**9, 10**9)  # young collections only: the old ones would take ages

    try:
        yield install
    finally:
        gc.set_threshold(*threshold)
        for callback in callbacks:
            gc.callbacks.remove(callback)


def _busy_job() -> JobState:
    job = JobState("snapshots")
    job.status = "running"
    for index in range(50):
        job.update_routine_state(f"r{index}", {"status": "completed", "items": [index, {"deep": index}]})
        job.update_shared_data(f"k{index}", {"values": list(range(3))})
        job.append_to_shared_log({"index": index})
        job.record_execution(f"r{index}", "output", {"index": index, "nested": {"a": [1]}})
    return job


def test_a_writer_in_the_middle_of_a_snapshot_cannot_break_it(writer_inside_every_collection: Any) -> None:
    # The worst case for a snapshot: a writer that changes the containers (without the lock, as
    # code touching job.shared_data directly does) in the middle of the copy. Before the fix the
    # copy walked list(dict.items()), whose tuples trigger collections: "dictionary changed size
    # during iteration".
    job = _busy_job()
    writes = {"n": 0}

    def write() -> None:
        writes["n"] += 1
        n = writes["n"]
        job.routine_states[f"late{n}"] = {"status": "completed"}
        job.shared_data[f"late{n}"] = [n]
        job.shared_log.append({"late": n})
        job.routine_states["r0"]["items"].append(n)  # nested user data changes too

    writer_inside_every_collection(write)
    snapshots = [job.serialize() for _ in range(5)]
    copies = [copy_data(job.shared_data, "shared_data") for _ in range(5)]
    assert writes["n"] > 0, "the writer never ran inside a snapshot: the test proves nothing"
    for data in snapshots:
        restored = JobState().deserialize(json.loads(json.dumps(data)))
        assert len(restored.routine_states) >= 50 and len(restored.shared_log) >= 50
    assert all(len(copy) >= 50 for copy in copies)


class Mutator(Routine):
    """Each activation changes the job (through its methods) until the snapshots are done."""

    def __init__(self, done: threading.Event, wrote: threading.Event, started: threading.Barrier,
                 rounds: int) -> None:
        super().__init__()
        self.done, self.wrote, self.started, self.rounds = done, wrote, started, rounds
        self.define_slot("input", self._on_input)
        self.define_event("out", ["writer"])

    def _on_input(self, writer: int) -> None:
        job = _current_job_state.get()
        self.started.wait(WAIT)
        for n in range(1, self.rounds + 1):
            # Two changes that belong together: a snapshot must see both or neither.
            with job.lock:
                job.update_shared_data(f"count-{writer}", n)
                job.update_routine_state(f"pair-{writer}", {"n": n})
            self.wrote.set()
            job.update_routine_state(f"w{writer}-{n % 40}", {"status": "completed", "n": [n, {"n": n}]})
            job.update_shared_data(f"w{writer}-{n % 30}", {"n": n, "seen": list(range(n % 5))})
            if n % 500 == 0:  # the lists grow, more slowly
                job.append_to_shared_log({"writer": writer, "n": n})
                job.record_execution(f"w{writer}", "step", {"n": n, "trace": [n, {"n": n}]})
                job.send_output(f"w{writer}", "progress", {"n": n})
                self.emit("out", writer=writer)
            if self.done.is_set():
                return


class Ignore(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.define_slot("input", lambda **kw: None)


class CountingJson:
    """A plain-JSON serializer plugin (core alone ships none)."""

    @staticmethod
    def dumps(obj: Any) -> bytes:
        return json.dumps(obj).encode("utf-8")

    @staticmethod
    def loads(data: bytes) -> Any:
        return json.loads(data.decode("utf-8"))

    @hookimpl
    def routilux_register_serializers(self) -> list[SerializerSpec]:
        return [SerializerSpec(name="snapjson", dumps=self.dumps, loads=self.loads, suffixes=(".snap",))]


def test_many_snapshots_while_many_workers_change_the_job(tmp_path: Any, fixtures_on_path: None) -> None:
    from engine_fixtures.routines import Source

    writers, snapshotters, per_snapshotter, rounds = 4, 3, 20, 1_000_000
    done, wrote = threading.Event(), threading.Event()
    started = threading.Barrier(writers + snapshotters)
    flow = Flow(execution_strategy="concurrent", max_workers=writers)
    flow.add_routine(Source(field="writer"), "src")
    flow.add_routine(Mutator(done, wrote, started, rounds), "mutate")
    flow.add_routine(Ignore(), "sink")
    flow.connect("src", "out", "mutate", "input")
    flow.connect("mutate", "out", "sink", "input")
    snapshots: list[dict[str, Any]] = []
    failures: list[BaseException] = []
    lock = threading.Lock()
    threshold = gc.get_threshold()
    entry = FakeEntryPoint("snapjson", CountingJson(), distribution="snap-json")

    def snapshot(index: int) -> None:
        try:
            started.wait(WAIT)
            assert wrote.wait(WAIT), "no writer ever wrote"
            for n in range(per_snapshotter):
                data = job.serialize()
                copy_data(job.routine_states, "routine_states")  # no lock held: still safe
                copy_data(job.shared_data, "shared_data")
                if n % 10 == 0:
                    job.save(tmp_path / f"job-{index}-{n}.snap")
                with lock:
                    snapshots.append(json.loads(json.dumps(data)))
        except BaseException as error:  # reported below, with the test's other failures
            failures.append(error)

    gc.set_threshold(50, 5, 5)  # collections (and thread switches inside them) far more often
    try:
        with use_registry(make_registry(entry_points=[entry])):
            job = flow.execute("src", entry_params={"count": writers})
            threads = [threading.Thread(target=snapshot, args=(i,)) for i in range(snapshotters)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(WAIT)
            still_running = job.status == "running"
            done.set()
            assert not any(thread.is_alive() for thread in threads), "a snapshot hung"
            assert JobState.wait_for_completion(flow, job, timeout=WAIT), "the job did not finish"
            saved = [JobState.load(path) for path in sorted(tmp_path.glob("*.snap"))]
    finally:
        gc.set_threshold(*threshold)
        done.set()
        flow.shutdown(wait=False)
    assert failures == []
    assert still_running, "the writers stopped before the snapshots did: nothing raced"
    assert job.status == "completed", [r.data for r in job.get_execution_history() if r.event_name == "error"]
    assert len(snapshots) == snapshotters * per_snapshotter
    assert len(saved) == snapshotters * (per_snapshotter // 10)
    for data in snapshots + [s.serialize() for s in saved]:
        restored = JobState().deserialize(data)
        pairs = 0
        for writer in range(writers):
            # Each pair of changes made under job.lock is in the snapshot whole, or not at all.
            count = restored.shared_data.get(f"count-{writer}")
            pair = restored.routine_states.get(f"pair-{writer}")
            assert (count is None) == (pair is None), f"writer {writer}: torn snapshot"
            if count is not None:
                assert pair == {"n": count}, f"writer {writer}: torn snapshot {count} vs {pair}"
                pairs += 1
        assert pairs >= 1  # every snapshot was taken after a first write
