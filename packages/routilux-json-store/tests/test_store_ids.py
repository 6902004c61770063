"""Store ids: any non-empty string up to 200 characters round-trips, lists and deletes.

Long ids, and ids that percent-encode to long names, get hashed file names that hold the id;
files of the previous layout keep working.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routilux import JobState
from routilux_json_store import ID_FIELD, Store, dumps

# 255-byte file names, less the temporary file's 14 extra characters (see names.MAX_NAME_BYTES).
NAME_LIMIT = 241


def job(job_id: str, **shared) -> JobState:
    out = JobState("orders")
    out.job_id = job_id
    for key, value in shared.items():
        out.update_shared_data(key, value)
    return out


def round_trip(store: Store, job_id: str) -> None:
    path = store.save_job(job(job_id, marker=job_id))
    assert path.parent == store.directory / "jobs"
    assert len(path.name.encode()) <= NAME_LIMIT and not path.name.startswith(".")
    assert store.exists("jobs", job_id)
    loaded = store.load_job(job_id)
    assert loaded.job_id == job_id and loaded.shared_data["marker"] == job_id
    assert store.list_jobs() == [job_id]
    store.delete_job(job_id)
    assert not store.exists("jobs", job_id)
    assert store.list_jobs() == []
    with pytest.raises(FileNotFoundError):
        store.load_job(job_id)


@pytest.mark.parametrize(
    "job_id",
    ["/" * 200, "😀" * 200, "x" * 200, "%" * 200, "a" * 199 + "/", ".." * 100, "\x00" * 200, "con", "NUL.txt",
     "Com1", "a@b", "~tilde"],
    ids=["slashes", "emoji", "200 plain", "percents", "one slash", "dots", "NULs", "con", "NUL.txt", "Com1",
         "at sign", "tilde"],
)
def test_every_id_up_to_200_characters_round_trips(tmp_path: Path, job_id: str):
    round_trip(Store(tmp_path), job_id)


def test_long_ids_get_hashed_names_and_the_file_holds_the_id(tmp_path: Path):
    store = Store(tmp_path)
    assert "@" not in store.path("jobs", "é" * 39).name and "@" in store.path("jobs", "é" * 40).name
    ids = ["/" * 200, "/" * 199 + "\\", "😀" * 200, "short"]
    for job_id in ids:
        store.save_job(job(job_id))
    names = sorted(os.listdir(tmp_path / "jobs"))
    assert len(set(names)) == 4
    assert "short.json" in names
    for job_id in ids[:3]:
        path = store.path("jobs", job_id)
        assert "@" in path.name  # hashed
        assert json.loads(path.read_bytes())[ID_FIELD] == job_id
    assert store.list_jobs() == sorted(ids)
    # A job file is still a plain job file: JobState.load reads it directly.
    assert JobState.load(store.path("jobs", ids[0])).job_id == ids[0]


# Any text, at every length from 1 to 200 (plain st.text() keeps to short strings), and text of
# characters that percent-encode to 3 to 12 characters each, so long names are common.
ids = st.one_of(
    st.integers(1, 200).flatmap(lambda n: st.text(min_size=n, max_size=n)),
    st.text(alphabet=st.sampled_from("/😀é%.\x00 a~@"), min_size=1, max_size=200),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ids)
def test_any_text_id_round_trips(job_id: str):
    with tempfile.TemporaryDirectory() as directory:
        round_trip(Store(directory), job_id)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sets(ids, min_size=1, max_size=6))
def test_many_ids_list_back_as_themselves(job_ids: set[str]):
    with tempfile.TemporaryDirectory() as directory:
        store = Store(directory)
        for job_id in job_ids:
            store.save("jobs", job_id, job(job_id).serialize())
        assert store.list_jobs() == sorted(job_ids)
        for job_id in job_ids:
            assert store.load("jobs", job_id)["job_id"] == job_id


class Unprintable:
    def __repr__(self) -> str:
        raise AssertionError("the store called repr() of an id")


@pytest.mark.parametrize("job_id", ["", "x" * 201, "lone \ud800 surrogate", 5, None, Unprintable()])
def test_invalid_ids_are_refused_saying_what_is_valid(tmp_path: Path, job_id):
    store = Store(tmp_path)
    calls = [
        lambda: store.path("jobs", job_id),
        lambda: store.exists("jobs", job_id),
        lambda: store.load("jobs", job_id),
        lambda: store.delete("jobs", job_id),
        lambda: store.save("jobs", job_id, job("x").serialize()),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="ids"):
            call()
    assert not (tmp_path / "jobs").exists()


# -- files of the previous layout -------------------------------------------------------------------


def write_previous(store: Store, name: str, job_id: str) -> None:
    """A file as the previous store wrote it: the percent-encoded id as its name, no id inside."""
    data = job(job_id, v=1).serialize()
    (store.directory / "jobs").mkdir(parents=True, exist_ok=True)
    (store.directory / "jobs" / name).write_bytes(dumps(data))


@pytest.mark.parametrize(
    ("name", "job_id"),
    [
        ("orders.json", "orders"),
        ("a%2Fb.json", "a/b"),
        ("%2Ehidden.json", ".hidden"),
        ("x" * 200 + ".json", "x" * 200),
        ("%C3%A9" * 39 + ".json", "é" * 39),  # 239 bytes: the longest name the previous layout could write
    ],
    ids=["plain", "slash", "leading dot", "200 characters", "longest name"],
)
def test_short_id_files_of_the_previous_layout_keep_working(tmp_path: Path, name: str, job_id: str):
    store = Store(tmp_path)
    write_previous(store, name, job_id)
    assert store.list_jobs() == [job_id]
    assert store.exists("jobs", job_id)
    assert store.load_job(job_id).shared_data == {"v": 1}
    assert store.path("jobs", job_id).name == name  # the same name: saving again overwrites it
    store.save_job(job(job_id, v=2))
    assert os.listdir(tmp_path / "jobs") == [name]
    assert store.load_job(job_id).shared_data == {"v": 2}
    store.delete_job(job_id)
    assert store.list_jobs() == []


def test_a_device_name_file_of_the_previous_layout_is_read_and_moved_on_save(tmp_path: Path):
    store = Store(tmp_path)
    write_previous(store, "con.json", "con")  # Windows cannot open this name; POSIX could write it
    assert store.list_jobs() == ["con"] and store.exists("jobs", "con")
    assert store.load_job("con").shared_data == {"v": 1}
    store.save_job(job("con", v=2))
    assert os.listdir(tmp_path / "jobs") == ["%63on.json"]
    assert store.list_jobs() == ["con"]
    assert store.load_job("con").shared_data == {"v": 2}
    write_previous(store, "con.json", "con")  # both present: one id, the current file wins
    assert store.list_jobs() == ["con"]
    assert store.load_job("con").shared_data == {"v": 2}
    store.delete_job("con")  # both go
    assert store.list_jobs() == [] and not store.exists("jobs", "con")


def test_a_file_holding_another_id_is_refused_on_load(tmp_path: Path):
    store = Store(tmp_path)
    path = store.save_job(job("first"))
    path.rename(path.with_name("second.json"))  # renamed by hand
    with pytest.raises(ValueError, match="holds job 'first', not 'second'"):
        store.load_job("second")
