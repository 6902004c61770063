"""The contracts of plugins that register stores (``routilux_register_stores``).

:class:`StorePluginContract` checks the snapshot part every store has
(:class:`routilux.store.SnapshotStore`); :class:`DurableStorePluginContract`
adds the journal part of a :class:`routilux.store.DurableStore`. A snapshot-only
store subclasses the first and skips nothing: the journal tests are simply not
in its class.

Each test opens a fresh store with :meth:`StorePluginContract.make_store` in
pytest's ``tmp_path`` and closes it (``close()``, when the store has one).
"""

from __future__ import annotations

import datetime
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from routilux.store import DurableStore, JobHeader, Owner, SnapshotStore, StoreError
from routilux.testing.contract import PluginContract

__all__ = ["DurableStorePluginContract", "StorePluginContract"]

#: What a store may raise for an id it does not hold (a file store raises FileNotFoundError).
MISSING_ERRORS = (KeyError, FileNotFoundError)
#: How long a test waits for something another thread does.
DEADLINE = 10.0


class _Opaque:
    """A value no serializer can encode."""


def _raises(
    errors: type[BaseException] | tuple[type[BaseException], ...], call: Callable[[], Any]
) -> BaseException:
    try:
        call()
    except errors as error:
        return error
    raise AssertionError(f"{getattr(call, '__name__', call)} raised nothing; expected {errors}")


def _wait_until(predicate: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not predicate():
        assert time.monotonic() < deadline, f"{what} did not happen within {DEADLINE}s"
        time.sleep(0.01)


def _flow(flow_id: str, extra: bool = False) -> Any:
    from routilux import Flow, Routine

    flow = Flow(flow_id)
    source, sink = Routine(), Routine()
    source.define_event("out", ["text"])
    sink.define_slot("input")
    flow.add_routine(source, "source")
    flow.add_routine(sink, "sink")
    flow.connect("source", "out", "sink", "input")
    if extra:
        flow.add_routine(Routine(), "extra")
    return flow


class StorePluginContract(PluginContract):
    """Contract for plugins implementing ``routilux_register_stores``: the snapshot part.

    Set ``plugin`` and ``store`` (the ``StoreSpec`` name). ``location`` is the
    name, under ``tmp_path``, passed to the spec's ``open`` (a directory for a
    file store, ``"store.db"`` for SQLite) with ``options``; override
    :meth:`make_store` to open the store some other way.
    """

    store: ClassVar[str]
    location: ClassVar[str] = "store"
    options: ClassVar[dict[str, Any]] = {}

    def make_store(self, tmp_path: Any) -> Any:
        """A store at ``tmp_path / location`` (the same one again when called again)."""
        spec = self.plugin_registry().get_store(type(self).store)
        return spec.open(os.fspath(tmp_path / type(self).location), **type(self).options)

    @contextmanager
    def opened(self, tmp_path: Any) -> Iterator[Any]:
        """:meth:`make_store`, closed at the end of the block."""
        store = self.make_store(tmp_path)
        try:
            yield store
        finally:
            close = getattr(store, "close", None)
            if callable(close):
                close()

    def test_store_is_registered(self) -> None:
        registry = self.plugin_registry()
        assert type(self).store in self.provided("store")
        spec = registry.get_store(type(self).store)
        assert callable(spec.open)
        for scheme in spec.schemes:
            assert registry.store_for_scheme(scheme) is spec, (
                f"scheme {scheme!r} does not select {spec.name!r}"
            )

    def test_is_a_snapshot_store(self, tmp_path: Any) -> None:
        with self.opened(tmp_path) as store:
            assert isinstance(store, SnapshotStore), f"{type(store).__name__} lacks SnapshotStore methods"
            assert store.list_flows() == [] and store.list_jobs() == []

    def test_flow_round_trips(self, tmp_path: Any) -> None:
        from routilux import Flow

        flow = _flow("contract-flow")
        with self.opened(tmp_path) as store:
            store.save_flow(flow)
            assert store.list_flows() == ["contract-flow"]
            assert store.load_flow("contract-flow").serialize() == flow.serialize()
            into = Flow()
            assert store.load_flow("contract-flow", into) is into and into.flow_id == "contract-flow"

    def test_saving_again_replaces(self, tmp_path: Any) -> None:
        with self.opened(tmp_path) as store:
            store.save_flow(_flow("f"))
            store.save_flow(_flow("f", extra=True))
            assert store.list_flows() == ["f"]
            assert "extra" in store.load_flow("f").routines

    def test_job_round_trips(self, tmp_path: Any) -> None:
        from routilux import JobState

        job = JobState("contract-flow")
        job.shared_data.update(
            {"when": datetime.datetime(2024, 2, 29, 12, 30), "nested": {"list": [1, 2.5, None, "ü"]}}
        )
        with self.opened(tmp_path) as store:
            store.save_job(job)
            assert store.list_jobs() == [job.job_id]
            assert store.load_job(job.job_id).serialize() == job.serialize()
        with self.opened(tmp_path) as reopened:
            assert reopened.load_job(job.job_id).serialize() == job.serialize(), (
                "a reopened store lost the job"
            )

    def test_delete_and_missing_ids(self, tmp_path: Any) -> None:
        from routilux import JobState

        job = JobState("f")
        with self.opened(tmp_path) as store:
            store.save_flow(_flow("f"))
            store.save_job(job)
            store.delete_flow("f")
            store.delete_job(job.job_id)
            assert store.list_flows() == [] and store.list_jobs() == []
            _raises(MISSING_ERRORS, lambda: store.load_flow("f"))
            _raises(MISSING_ERRORS, lambda: store.load_job(job.job_id))
            _raises(MISSING_ERRORS, lambda: store.delete_flow("f"))
            _raises(MISSING_ERRORS, lambda: store.delete_job(job.job_id))

    def test_awkward_ids_round_trip(self, tmp_path: Any) -> None:
        ids = ["a/b", "../escape", "ünïcödé 流れ", "x" * 150, "CON", "with space.json"]
        with self.opened(tmp_path) as store:
            for flow_id in ids:
                store.save_flow(_flow(flow_id))
            assert store.list_flows() == sorted(ids)
            for flow_id in ids:
                assert store.load_flow(flow_id).flow_id == flow_id

    def test_unencodable_job_names_the_value_and_keeps_the_old_one(self, tmp_path: Any) -> None:
        from routilux import JobState

        job = JobState("f")
        job.shared_data["good"] = 1
        with self.opened(tmp_path) as store:
            store.save_job(job)
            job.shared_data["bad"] = _Opaque()
            error = _raises(TypeError, lambda: store.save_job(job))
            assert "bad" in str(error) and "_Opaque" in str(error), f"message names neither: {error}"
            assert "bad" not in store.load_job(job.job_id).shared_data


def _header(job_id: str, flow_id: str = "contract-flow", created_at: float | None = None) -> JobHeader:
    return JobHeader(
        job_id=job_id,
        flow_id=flow_id,
        flow_data={"_type": "Flow", "flow_id": flow_id, "routines": {}},
        flow_hash="0" * 64,
        entry_id="source",
        entry_params={"n": 3, "text": "ü"},
        created_at=time.time() if created_at is None else created_at,
        history_limit=100,
        flow_file="flow.yaml",
        flow_file_hash="1" * 64,
    )


def _dead_owner() -> Owner:
    """An owner on another host whose lease ran out a minute ago."""
    return Owner(host="dead-host.invalid", pid=1, lease_until=time.time() - 60)


def _live_owner(name: str = "live-host.invalid") -> Owner:
    """An owner on another host with a lease good for an hour."""
    return Owner(host=name, pid=2, lease_until=time.time() + 3600)


class DurableStorePluginContract(StorePluginContract):
    """:class:`StorePluginContract` plus the journal part of a ``DurableStore``.

    The store must count owners on other hosts as alive exactly while their
    lease holds, and treat ``socket.gethostname()`` as this host.
    """

    def test_is_a_durable_store(self, tmp_path: Any) -> None:
        with self.opened(tmp_path) as store:
            assert isinstance(store, DurableStore), f"{type(store).__name__} lacks DurableStore methods"
            assert isinstance(store.url, str) and ":" in store.url

    def test_records_keep_append_order(self, tmp_path: Any) -> None:
        kinds = ("done", "emit", "failed", "slot")
        expected = [(kinds[n % 4], n, {"n": n, "text": "ü" * (n % 3)}) for n in range(500)]
        header = _header("j")
        with self.opened(tmp_path) as store:
            store.begin_job(header, _live_owner())
            for kind, seq, payload in expected:
                store.append("j", kind, seq, payload)
            assert store.flush(DEADLINE)
            assert store.records("j") == expected
            assert store.header("j") == header
            assert store.records("j", start=490) == expected[490:]
            assert store.records("j", start=500) == [] and store.records("j", start=0) == expected
            assert store.records("j", start=10, limit=3) == expected[10:13]
            assert store.records("j", limit=0) == []
            assert store.records("j", start=499, limit=9) == expected[499:]

    def test_each_threads_order_is_kept(self, tmp_path: Any) -> None:
        with self.opened(tmp_path) as store:
            store.begin_job(_header("j"), _live_owner())

            def write(thread: int) -> None:
                for n in range(200):
                    store.append("j", "emit", thread, {"n": n})

            threads = [threading.Thread(target=write, args=(t,)) for t in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert store.flush(DEADLINE)
            records = store.records("j")
            for t in range(4):
                assert [p["n"] for _k, seq, p in records if seq == t] == list(range(200)), (
                    f"thread {t} reordered"
                )

    def test_summary_counts_and_status(self, tmp_path: Any) -> None:
        with self.opened(tmp_path) as store:
            store.begin_job(_header("j"), _live_owner())
            for n, kind in enumerate(("done", "failed", "done", "failed", "done")):
                store.append("j", kind, n + 1, {"n": n})
            store.append("j", "status", 0, "paused")
            assert store.flush(DEADLINE)
            paused = store.summary("j")
            assert (paused.status, paused.activations, paused.errors) == ("paused", 5, 2)
            assert paused.finished_at is None and paused.flow_file == "flow.yaml"
            store.append("j", "status", 0, "completed")
            assert store.flush(DEADLINE)
            done = store.summary("j")
            assert done.status == "completed" and done.finished_at is not None
            assert done.owner is not None and done.owner.host == "live-host.invalid"

    def test_missing_job_raises_key_error(self, tmp_path: Any) -> None:
        with self.opened(tmp_path) as store:
            _raises(KeyError, lambda: store.header("nope"))
            _raises(KeyError, lambda: store.summary("nope"))
            _raises(KeyError, lambda: store.request("nope", "pause"))

    def test_unencodable_payload_raises_in_the_caller(self, tmp_path: Any) -> None:
        with self.opened(tmp_path) as store:
            store.begin_job(_header("j"), _live_owner())
            error = _raises(TypeError, lambda: store.append("j", "emit", 1, {"data": {"x": _Opaque()}}))
            assert "x" in str(error) and "_Opaque" in str(error), f"message names neither: {error}"
            store.append("j", "emit", 2, {"ok": True})
            assert store.flush(DEADLINE)
            assert store.records("j") == [("emit", 2, {"ok": True})]

    def test_claim_gives_each_dead_job_to_one_claimer(self, tmp_path: Any) -> None:
        jobs = [f"job-{n}" for n in range(40)]
        with self.opened(tmp_path) as store:
            for job_id in jobs:
                store.begin_job(_header(job_id), _dead_owner())
            assert store.flush(DEADLINE)
            barrier = threading.Barrier(8)
            results: dict[int, list[str]] = {}

            def claim(claimer: int) -> None:
                barrier.wait()
                results[claimer] = store.claim(_live_owner(f"claimer-{claimer}.invalid"))

            threads = [threading.Thread(target=claim, args=(c,)) for c in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            claimed = [job for taken in results.values() for job in taken]
            assert sorted(claimed) == sorted(jobs), f"claimed {len(claimed)} of {len(jobs)} (some twice?)"
            assert store.claim(_live_owner("late.invalid")) == [], "a claimed job was claimed again"

    def test_claim_leaves_live_and_finished_jobs(self, tmp_path: Any) -> None:
        here = Owner(host=socket.gethostname(), pid=os.getpid(), lease_until=time.time() + 3600)
        with self.opened(tmp_path) as store:
            store.begin_job(_header("live"), here)
            store.begin_job(_header("finished"), _dead_owner())
            store.append("finished", "status", 0, "completed")
            for job_id, flow_id in (("a1", "flow-a"), ("a2", "flow-a"), ("b1", "flow-b")):
                store.begin_job(_header(job_id, flow_id), _dead_owner())
            assert store.flush(DEADLINE)
            assert store.claim(_live_owner(), job_id="b1") == ["b1"]
            assert sorted(store.claim(_live_owner(), flow_id="flow-a")) == ["a1", "a2"]
            assert store.claim(_live_owner()) == [], "a live or finished job was claimed"
            owner = store.summary("a1").owner
            assert owner is not None and (owner.host, owner.pid) == ("live-host.invalid", 2)

    def test_requests_are_delivered_once(self, tmp_path: Any) -> None:
        owner = _live_owner()
        delivered: list[tuple[str, str]] = []
        with self.opened(tmp_path) as store:
            store.begin_job(_header("j"), owner)
            store.begin_job(_header("other"), _live_owner("someone-else.invalid"))
            assert store.flush(DEADLINE)
            store.watch_requests(owner, lambda job_id, action: delivered.append((job_id, action)))
            _raises(ValueError, lambda: store.request("j", "explode"))
            store.request("other", "cancel")
            store.request("j", "pause")
            _wait_until(lambda: len(delivered) >= 1, "delivering the pause request")
            store.request("j", "resume")
            _wait_until(lambda: len(delivered) >= 2, "delivering the resume request")
            assert delivered == [("j", "pause"), ("j", "resume")], f"delivered {delivered}"

    def test_prune_deletes_old_final_jobs_only(self, tmp_path: Any) -> None:
        now = time.time()
        with self.opened(tmp_path) as store:
            for job_id, age, status in (
                ("old-done", 100, "completed"),
                ("old-running", 100, None),
                ("new-done", 1, "failed"),
            ):
                store.begin_job(_header(job_id, created_at=now - age), _live_owner())
                store.append(job_id, "emit", 1, {"job": job_id})
                if status is not None:
                    store.append(job_id, "status", 0, status)
            assert store.flush(DEADLINE)
            assert store.prune(now - 50) == 1
            _raises(KeyError, lambda: store.header("old-done"))
            assert store.records("old-done") == []
            assert store.records("old-running") == [("emit", 1, {"job": "old-running"})]
            assert store.summary("new-done").status == "failed"

    def test_summaries_filter_and_sort(self, tmp_path: Any) -> None:
        base = time.time() - 1000
        with self.opened(tmp_path) as store:
            for n in range(10):
                job_id = f"job-{n}"
                store.begin_job(_header(job_id, f"flow-{n % 2}", created_at=base + n), _live_owner())
                if n % 3 == 0:
                    store.append(job_id, "status", 0, "completed")
            assert store.flush(DEADLINE)
            assert [s.job_id for s in store.summaries()] == [f"job-{n}" for n in range(9, -1, -1)]
            assert [s.job_id for s in store.summaries(limit=3)] == ["job-9", "job-8", "job-7"]
            assert [s.job_id for s in store.summaries(status="completed")] == [
                "job-9",
                "job-6",
                "job-3",
                "job-0",
            ]
            assert [s.job_id for s in store.summaries(flow_id="flow-1", limit=2)] == ["job-9", "job-7"]
            assert [s.job_id for s in store.summaries(older_than=base + 2)] == ["job-1", "job-0"]
            found = store.summaries(status="running", flow_id="flow-0", older_than=base + 5)
            assert [s.job_id for s in found] == ["job-4", "job-2"]

    def test_a_closed_store_refuses_to_journal(self, tmp_path: Any) -> None:
        store = self.make_store(tmp_path)
        store.begin_job(_header("j"), _live_owner())
        store.append("j", "emit", 1, {"n": 1})
        store.close()
        _raises(StoreError, lambda: store.append("j", "emit", 2, {"n": 2}))
        _raises(StoreError, lambda: store.flush(DEADLINE))
        with self.opened(tmp_path) as reopened:
            assert reopened.records("j") == [("emit", 1, {"n": 1})], "close() lost queued records"
