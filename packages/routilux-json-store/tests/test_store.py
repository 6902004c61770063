"""The Store: flows and jobs by id, ids confined to the directory, crash-safe writes."""

from __future__ import annotations

import json
import os

import pytest

from routilux import Flow, JobState, Routine, register_serializable
from routilux.plugins.hookspecs import hookimpl
from routilux.plugins.specs import SerializerSpec
from routilux.testing import FakeEntryPoint, make_registry, use_registry
from routilux_json_store import Store


@register_serializable
class StoreNode(Routine):
    def __init__(self):
        super().__init__()
        self.define_slot("input", handler=self.on_input)
        self.define_event("output", ["v"])

    def on_input(self, v=None):
        return v


def make_flow(flow_id="orders"):
    flow = Flow(flow_id=flow_id)
    flow.add_routine(StoreNode(), "a")
    for name in ("b", "c", "d"):
        flow.add_routine(StoreNode(), name)
        flow.connect("a", "output", name, "input")
    return flow


def edges(flow):
    ids = {id(r): k for k, r in flow.routines.items()}
    return sorted(
        (
            ids[id(c.source_event.routine)],
            c.source_event.name,
            ids[id(c.target_slot.routine)],
            c.target_slot.name,
        )
        for c in flow.connections
    )


def test_flows_save_load_list_delete(tmp_path):
    store = Store(tmp_path)
    flow = make_flow()
    path = store.save_flow(flow)
    assert path == tmp_path / "flows" / "orders.json"
    assert json.loads(path.read_bytes())["_type"] == "Flow"
    restored = store.load_flow("orders")
    assert edges(restored) == edges(flow)
    store.save_flow(make_flow("second"))
    assert store.list_flows() == ["orders", "second"]
    store.delete_flow("orders")
    assert store.list_flows() == ["second"]
    with pytest.raises(FileNotFoundError, match="orders"):
        store.load_flow("orders")
    with pytest.raises(FileNotFoundError):
        store.delete_flow("orders")


def test_jobs_save_load_with_datetimes(tmp_path):
    store = Store(tmp_path)
    job = JobState("orders")
    job.record_execution("a", "output", {"v": 1})
    job.update_shared_data("when", job.created_at)  # a datetime in user data
    store.save_job(job)
    loaded = store.load_job(job.job_id)
    assert loaded.job_id == job.job_id and loaded.created_at == job.created_at
    assert loaded.shared_data["when"] == job.created_at
    assert [r.data for r in loaded.execution_history] == [{"v": 1}]
    assert store.list_jobs() == [job.job_id]


def test_job_state_save_and_load_go_through_the_installed_plugin(tmp_path):
    job = JobState("f")
    job.save(tmp_path / "sub" / "job.json")
    data = json.loads((tmp_path / "sub" / "job.json").read_bytes())
    assert data["job_id"] == job.job_id
    assert JobState.load(tmp_path / "sub" / "job.json").job_id == job.job_id


@pytest.mark.parametrize(
    "object_id",
    ["../escape", "/etc/passwd", "a/b", "..", ".", ".hidden", "with space", "C:\\x", "nul\x00byte", "ünï"],
)
def test_ids_cannot_escape_the_directory_and_round_trip(tmp_path, object_id):
    store = Store(tmp_path / "store")
    path = store.save_flow(make_flow(object_id))
    assert path.parent == tmp_path / "store" / "flows"
    assert not path.name.startswith(".")
    assert store.list_flows() == [object_id]
    assert store.load_flow(object_id).flow_id == object_id


@pytest.mark.parametrize("object_id", ["", "x" * 201, 5, None])
def test_invalid_ids_raise(tmp_path, object_id):
    with pytest.raises(ValueError, match="ids"):
        Store(tmp_path).path("jobs", object_id)


def test_corrupt_and_wrong_files_raise_value_error(tmp_path):
    store = Store(tmp_path)
    store.save_flow(make_flow())
    path = store.path("flows", "orders")
    full = path.read_bytes()
    path.write_bytes(full[: len(full) // 2])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        store.load_flow("orders")
    job = JobState("x")
    job_path = store.save_job(job)
    os.replace(job_path, path)
    with pytest.raises(ValueError, match="expected Flow data"):
        store.load_flow("orders")
    with pytest.raises(ValueError, match="unknown kind"):
        store.list("routines")


# -- crash safety ----------------------------------------------------------------------------------------


def no_temporary_files(directory):
    return [p.name for p in directory.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("crash_in", ["replace", "fsync", "write"])
def test_interrupted_write_leaves_the_previous_file_intact(tmp_path, monkeypatch, crash_in):
    store = Store(tmp_path)
    flow = make_flow()
    path = store.save_flow(flow)
    before = path.read_bytes()
    flow.add_routine(StoreNode(), "e")  # the next version differs

    class Crash(RuntimeError):
        pass

    def crash(*args, **kwargs):
        raise Crash("power cut")

    if crash_in == "replace":
        monkeypatch.setattr(os, "replace", crash)
    elif crash_in == "fsync":
        monkeypatch.setattr(os, "fsync", crash)
    else:
        import routilux.serialization.files as files

        real_fdopen = os.fdopen

        def fdopen(fd, mode="r", *args, **kwargs):
            handle = real_fdopen(fd, mode, *args, **kwargs)
            real_write = handle.write

            def write(data):
                real_write(data[: len(data) // 2])  # half the bytes reach the disk, then the crash
                raise Crash("disk full")

            handle.write = write
            return handle

        monkeypatch.setattr(files.os, "fdopen", fdopen)
    with pytest.raises(Crash):
        store.save_flow(flow)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(store.load_flow("orders").routines) == ["a", "b", "c", "d"]
    assert no_temporary_files(path.parent)


# -- another format ---------------------------------------------------------------------------------------


class ReversedJson:
    """A second format (JSON, bytes reversed) registered through a fake entry point."""

    @hookimpl
    def routilux_register_serializers(self):
        from routilux_json_store import dumps, loads

        return [
            SerializerSpec(
                name="rjson",
                dumps=lambda obj: dumps(obj)[::-1],
                loads=lambda data: loads(bytes(data)[::-1]),
                suffixes=(".rjson",),
            )
        ]


def test_swapping_the_format_is_one_argument(tmp_path):
    registry = make_registry(
        entry_points=[
            FakeEntryPoint("rjson", ReversedJson(), distribution="fake-rjson"),
            FakeEntryPoint("json", "routilux_json_store.plugin"),
        ]
    )
    with use_registry(registry):
        store = Store(tmp_path, serializer="rjson")
        flow = make_flow()
        path = store.save_flow(flow)
        assert path.suffix == ".rjson"
        assert path.read_bytes().endswith(b"{")  # really the other format
        assert edges(store.load_flow("orders")) == edges(flow)
        job = JobState("orders")
        store.save_job(job)
        assert store.load_job(job.job_id).job_id == job.job_id
        job.save(tmp_path / "direct.rjson")  # JobState.save picks it by suffix
        assert JobState.load(tmp_path / "direct.rjson").job_id == job.job_id
        assert Store(tmp_path).list_flows() == []  # the json store sees only .json files
