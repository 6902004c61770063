"""Errors from saving name the path to the bad value and its type, and never run the value's code.

Core's tests run without any serializer plugin installed, so the serializers here are made in the
tests: one as strict as ``json.dumps`` and one whose own error message calls ``repr`` of the value.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from routilux import Flow, JobState, Routine
from routilux.plugins.specs import SerializerSpec
from routilux.serialization import atomic_write_bytes, read_data, serialize_callable, write_data

CALLS: list[str] = []


class Hostile:
    """A value whose repr and str raise (and say so), like a broken user object."""

    def __repr__(self) -> str:
        CALLS.append("repr")
        raise RuntimeError("the user's __repr__ ran")

    __str__ = __repr__


class HostileError(Exception):
    def __str__(self) -> str:
        CALLS.append("str of the error")
        raise RuntimeError("the user's exception __str__ ran")


@pytest.fixture(autouse=True)
def no_user_code_ran():
    CALLS.clear()
    yield
    assert CALLS == [], "the error message was built by running the user's code"


STRICT = SerializerSpec(name="strict", dumps=lambda obj: json.dumps(obj).encode(), loads=json.loads)


def _repr_in_message(value):
    if isinstance(value, Hostile):
        raise TypeError(f"cannot encode {value!r}")  # the serializer, not routilux, runs user code
    raise TypeError(f"cannot encode {type(value).__name__}")


NAIVE = SerializerSpec(
    name="naive", dumps=lambda obj: json.dumps(obj, default=_repr_in_message).encode(), loads=json.loads
)


def raising_user_error(value):
    raise HostileError("hidden")


USER_ERROR = SerializerSpec(
    name="user-error",
    dumps=lambda obj: json.dumps(obj, default=raising_user_error).encode(),
    loads=json.loads,
)

HOSTILE = f"{Hostile.__module__}.Hostile"


def job_with_history(bad_at: int = 12) -> JobState:
    job = JobState("f")
    for index in range(20):
        job.record_execution("r", "out", {"x": Hostile() if index == bad_at else index, "i": index})
    return job


def test_job_save_names_the_path_and_type_of_the_bad_value(tmp_path: Path):
    target = tmp_path / "job.json"
    with pytest.raises(TypeError) as caught:
        job_with_history().save(target, serializer=STRICT)
    message = str(caught.value)
    assert 'execution_history[12].data["x"]' in message
    assert f"of type {HOSTILE}" in message and str(target) in message and "'strict'" in message
    assert "is not JSON serializable" in message  # the serializer's own reason
    assert isinstance(caught.value.__cause__, TypeError)
    assert not target.exists()


def test_a_serializer_that_runs_user_code_does_not_let_the_users_exception_escape(tmp_path: Path):
    job = JobState("f")
    job.update_shared_data("config", {"nested": [1, 2, Hostile()]})
    with pytest.raises(ValueError) as caught:
        job.save(tmp_path / "job.json", serializer=NAIVE)
    message = str(caught.value)
    assert 'shared_data["config"]["nested"][2]' in message and HOSTILE in message
    # The serializer called repr; its RuntimeError is reported by class and message, chained.
    assert "RuntimeError: the user's __repr__ ran" in message
    assert isinstance(caught.value.__cause__, RuntimeError)
    CALLS.clear()  # those calls were the serializer's own


def test_a_user_exception_with_its_own_str_is_named_by_class_only(tmp_path: Path):
    job = JobState("f")
    job.update_shared_data("x", Hostile())
    with pytest.raises(ValueError) as caught:
        job.save(tmp_path / "job.json", serializer=USER_ERROR)
    message = str(caught.value)
    assert 'shared_data["x"]' in message
    assert message.endswith(f"({HostileError.__module__}.HostileError)")


def test_a_bad_dict_key_is_named_as_a_key(tmp_path: Path):
    job = JobState("f")
    job.update_shared_data("lookup", {Hostile(): 1})
    with pytest.raises(TypeError, match=r'a key of the dict at shared_data\["lookup"\] is of type .*Hostile'):
        job.save(tmp_path / "job.json", serializer=STRICT)


class Configured(Routine):
    def __init__(self):
        super().__init__()
        self.define_slot("input")


def test_flow_data_errors_name_the_routine_and_config_key(tmp_path: Path):
    flow = Flow(flow_id="f")
    routine = Configured()
    routine.set_config(threshold=3, weights={"w": (1, Hostile())})
    flow.add_routine(routine, "scorer")
    with pytest.raises(TypeError) as caught:
        write_data(tmp_path / "flow.json", flow.serialize(), STRICT)
    assert 'routines["scorer"]._config["weights"]["w"][1]' in str(caught.value)


def test_a_deep_path_is_shown_with_its_middle_elided(tmp_path: Path):
    value: object = Hostile()
    for _ in range(30):
        value = [value]
    with pytest.raises(TypeError) as caught:
        write_data(tmp_path / "deep.json", {"a": value}, STRICT)
    message = str(caught.value)
    assert 'the value at ["a"][0][0]' in message and "more)..." in message
    assert "[0][0][0][0] is of type" in message


def test_the_whole_data_is_named_when_no_part_is_at_fault(tmp_path: Path):
    with pytest.raises(TypeError, match=rf"the data is of type {HOSTILE}"):
        write_data(tmp_path / "x.json", Hostile(), STRICT)


# -- messages of other errors run no user code either ------------------------------------------------


def test_deserialize_errors_show_user_objects_by_type():
    with pytest.raises(TypeError, match=rf"field 'job_id' must be str, got Hostile <{HOSTILE} object>"):
        JobState().deserialize({"_type": "JobState", "flow_id": "f", "job_id": Hostile()})
    with pytest.raises(TypeError, match=rf"\[1, <{HOSTILE} object>\]"):
        JobState().deserialize({"_type": "JobState", "flow_id": [1, Hostile()]})


class Owner(Routine):
    def __repr__(self) -> str:
        CALLS.append("routine repr")
        raise RuntimeError("the user's routine __repr__ ran")

    def handle(self, **kwargs):
        return kwargs


def test_a_foreign_method_is_refused_naming_objects_by_type_and_id():
    owner, other = Owner(), Owner()
    expected = rf"bound to Owner \(_id '{other._id}'\), not to the owner Owner \(_id '{owner._id}'\)"
    with pytest.raises(ValueError, match=expected):
        serialize_callable(other.handle, owner=owner)


# -- the file system in the way: each a clear error naming the path -------------------------------------


def test_writing_below_a_file_names_the_file_in_the_way(tmp_path: Path):
    blocker = tmp_path / "state"
    blocker.write_text("a file")
    for target in (blocker / "job.json", blocker / "deeper" / "job.json"):
        with pytest.raises(NotADirectoryError) as caught:
            JobState("f").save(target, serializer=STRICT)
        assert caught.value.filename == str(blocker)
        assert "directory is needed" in str(caught.value)


def test_writing_over_a_directory_names_it(tmp_path: Path):
    target = tmp_path / "job.json"
    target.mkdir()
    with pytest.raises(IsADirectoryError) as caught:
        atomic_write_bytes(target, b"{}")
    assert caught.value.filename == str(target)
    assert os.listdir(tmp_path) == ["job.json"]  # no temporary file left behind


def test_reading_a_directory_or_below_a_file_says_so(tmp_path: Path):
    (tmp_path / "dir.json").mkdir()
    with pytest.raises(IsADirectoryError, match="expected a file"):
        read_data(tmp_path / "dir.json", STRICT)
    with pytest.raises(IsADirectoryError, match="expected a file"):
        JobState.load(tmp_path / "dir.json", serializer=STRICT)
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError, match="is a file; expected a directory"):
        read_data(tmp_path / "file" / "job.json", STRICT)
    with pytest.raises(FileNotFoundError, match="No such file"):
        read_data(tmp_path / "missing.json", STRICT)


def test_a_directory_that_cannot_be_written_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / ".job.json.k3j2h1g0.tmp"))

    # Injected: the tests may run as root, for whom permission bits do not stop a write.
    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(PermissionError) as caught:
        atomic_write_bytes(tmp_path / "job.json", b"{}")
    assert caught.value.filename == str(tmp_path / "job.json")
    assert f"Cannot create a file in {tmp_path}: Permission denied" in str(caught.value)
