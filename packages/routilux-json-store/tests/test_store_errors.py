"""A store the file system gets in the way of says so: never an empty list or False instead.

The tests may run as root, for whom permission bits do not stop a read: permission errors are
injected at the os call (and, when not root, also made for real with chmod).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from routilux import JobState
from routilux_json_store import ID_FIELD, Store


def saved(store: Store, job_id: str = "j1") -> Path:
    job = JobState("orders")
    job.job_id = job_id
    return store.save_job(job)


def every_operation(store: Store):
    """Each public operation on jobs, as (name, call)."""
    return [
        ("list_jobs", store.list_jobs),
        ("exists", lambda: store.exists("jobs", "j1")),
        ("load_job", lambda: store.load_job("j1")),
        ("delete_job", lambda: store.delete_job("j1")),
        ("save_job", lambda: saved(store)),
    ]


@pytest.mark.parametrize("blocked", ["jobs", "store"])
def test_a_file_where_a_directory_belongs_is_an_error_for_every_operation(tmp_path: Path, blocked: str):
    root = tmp_path / "store"
    if blocked == "jobs":
        root.mkdir()
        (root / "jobs").write_text("not a directory")
        in_the_way = root / "jobs"
    else:
        root.write_text("not a directory")
        in_the_way = root
    store = Store(root)
    for name, call in every_operation(store):
        with pytest.raises(NotADirectoryError) as caught:
            call()
        message = str(caught.value)
        assert str(in_the_way) in message, name
        assert "expected a directory" in message or "directory is needed" in message, (name, message)
    assert in_the_way.read_text() == "not a directory"


def test_a_store_that_does_not_exist_yet_is_empty(tmp_path: Path):
    store = Store(tmp_path / "not" / "yet")
    assert store.list_jobs() == [] and store.list_flows() == []
    assert not store.exists("jobs", "j1")
    with pytest.raises(FileNotFoundError, match="no job 'j1'"):
        store.load_job("j1")


def test_a_directory_where_a_job_file_belongs_is_an_error(tmp_path: Path):
    store = Store(tmp_path)
    store.path("jobs", "j1").mkdir(parents=True)
    for name, call in every_operation(store):
        with pytest.raises(IsADirectoryError) as caught:
            call()
        assert str(store.path("jobs", "j1")) in str(caught.value), name
        assert "found a directory" in str(caught.value) or "Is a directory" in str(caught.value), name


def test_a_broken_link_where_a_job_file_belongs_is_an_error(tmp_path: Path):
    store = Store(tmp_path)
    path = store.path("jobs", "j1")
    path.parent.mkdir(parents=True)
    path.symlink_to(tmp_path / "gone.json")
    for call in (store.list_jobs, lambda: store.exists("jobs", "j1"), lambda: store.load_job("j1")):
        with pytest.raises(FileNotFoundError, match="a symbolic link to nothing"):
            call()


def test_a_link_loop_is_an_error_not_a_missing_job(tmp_path: Path):
    store = Store(tmp_path)
    path = store.path("jobs", "j1")
    path.parent.mkdir(parents=True)
    path.symlink_to(path)
    with pytest.raises(OSError, match="symbolic link"):
        store.exists("jobs", "j1")
    with pytest.raises(OSError, match="symbolic link"):
        store.list_jobs()


def test_a_file_named_for_no_id_is_reported_by_list(tmp_path: Path):
    store = Store(tmp_path)
    saved(store)
    (tmp_path / "jobs" / "Hello World.json").write_text("{}")  # its id would be Hello%20World.json
    with pytest.raises(ValueError, match=r"Hello World\.json is not a file this store writes"):
        store.list_jobs()


def test_files_of_other_formats_and_unfinished_writes_are_not_the_stores(tmp_path: Path):
    store = Store(tmp_path)
    saved(store)
    (tmp_path / "jobs" / "j2.yaml").write_text("")
    (tmp_path / "jobs" / ".j3.json.k2j3h4g5.tmp").write_text("")
    assert store.list_jobs() == ["j1"]


def test_a_hashed_file_that_does_not_hold_its_id_is_reported(tmp_path: Path):
    store = Store(tmp_path)
    long_id = "/" * 200
    path = saved(store, long_id)
    data = json.loads(path.read_bytes())
    data[ID_FIELD] = "someone else"
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="its '_store_id' field must hold the id"):
        store.list_jobs()
    with pytest.raises(ValueError, match="holds job 'someone else'"):
        store.load_job(long_id)
    del data[ID_FIELD]
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="holds no '_store_id' field"):
        store.load_job(long_id)
    path.write_bytes(b'{"_store_id": "/')  # truncated
    with pytest.raises(ValueError, match="truncated or corrupt"):
        store.list_jobs()


# -- permissions --------------------------------------------------------------------------------------


def refuse_for(monkeypatch: pytest.MonkeyPatch, module, name: str, path: Path) -> None:
    """Make ``module.name`` raise PermissionError for ``path`` (and only for it)."""
    real = getattr(module, name)

    def guarded(target, *args, **kwargs):
        if Path(target) == path:
            raise PermissionError(13, "Permission denied", str(path))
        return real(target, *args, **kwargs)

    monkeypatch.setattr(module, name, guarded)


def test_a_jobs_directory_that_cannot_be_read_is_named_by_list(tmp_path: Path, monkeypatch):
    store = Store(tmp_path)
    saved(store)
    refuse_for(monkeypatch, os, "scandir", tmp_path / "jobs")
    with pytest.raises(PermissionError) as caught:
        store.list_jobs()
    assert f"{store!r}: cannot list jobs: Permission denied ({tmp_path / 'jobs'})" in str(caught.value)


def test_a_job_file_that_cannot_be_looked_up_is_named_by_exists(tmp_path: Path, monkeypatch):
    store = Store(tmp_path)
    path = saved(store)
    refuse_for(monkeypatch, os, "stat", path)
    with pytest.raises(PermissionError, match=r"cannot look up job 'j1': Permission denied \(.*j1\.json\)"):
        store.exists("jobs", "j1")


def test_a_job_file_that_cannot_be_read_is_named_by_load(tmp_path: Path, monkeypatch):
    store = Store(tmp_path)
    path = saved(store)
    real = Path.read_bytes

    def read_bytes(self):
        if self == path:
            raise PermissionError(13, "Permission denied", str(path))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    expected = r"cannot load job 'j1': Cannot read the file: Permission denied"
    with pytest.raises(PermissionError, match=expected):
        store.load_job("j1")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads files whatever their mode")
def test_real_permission_errors_are_named(tmp_path: Path):
    store = Store(tmp_path)
    path = saved(store)
    path.chmod(0)
    try:
        with pytest.raises(PermissionError, match="cannot load job 'j1'"):
            store.load_job("j1")
    finally:
        path.chmod(0o644)
    (tmp_path / "jobs").chmod(0o300)  # may enter, may not list
    try:
        with pytest.raises(PermissionError, match="cannot list jobs"):
            store.list_jobs()
    finally:
        (tmp_path / "jobs").chmod(0o755)
