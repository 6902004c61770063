"""Saving a value the json format cannot hold: the error names where it is, runs none of its code."""

from __future__ import annotations

from pathlib import Path

import pytest

from routilux import Flow, JobState, Routine, register_serializable
from routilux_json_store import Store, dumps

CALLS: list[str] = []


class Hostile:
    def __repr__(self) -> str:
        CALLS.append("repr")
        raise RuntimeError("the user's __repr__ ran")

    __str__ = __repr__


@pytest.fixture(autouse=True)
def no_user_code_ran():
    CALLS.clear()
    yield
    assert CALLS == [], "routilux ran the user's __repr__/__str__ to build a message"


HOSTILE = f"{Hostile.__module__}.Hostile"


def test_the_codec_refuses_by_type_without_calling_repr():
    with pytest.raises(TypeError, match=rf"cannot encode {HOSTILE} as JSON"):
        dumps({"x": [Hostile()]})
    with pytest.raises(TypeError, match="cannot encode object as JSON"):
        dumps(object())


def job_with_bad_record() -> JobState:
    job = JobState("orders")
    for index in range(15):
        job.record_execution("pay", "done", {"x": Hostile() if index == 12 else index})
    return job


def test_job_save_names_the_path_to_the_bad_value(tmp_path: Path):
    target = tmp_path / "job.json"
    with pytest.raises(TypeError) as caught:
        job_with_bad_record().save(target)
    message = str(caught.value)
    assert f'the value at execution_history[12].data["x"] is of type {HOSTILE}' in message
    assert f"cannot encode {HOSTILE} as JSON" in message and str(target) in message
    assert not target.exists()


def test_store_save_job_names_the_path_and_keeps_the_previous_version(tmp_path: Path):
    store = Store(tmp_path)
    job = JobState("orders")
    path = store.save_job(job)
    before = path.read_bytes()
    job.update_shared_data("totals", {"eu": 3, "us": Hostile()})
    with pytest.raises(TypeError, match=r'the value at shared_data\["totals"\]\["us"\] is of type .*Hostile'):
        store.save_job(job)
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


@register_serializable
class Tunable(Routine):
    def __init__(self):
        super().__init__()
        self.define_slot("input")


def test_store_save_flow_names_the_routine_and_its_config_key(tmp_path: Path):
    flow = Flow(flow_id="orders")
    routine = Tunable()
    routine.set_config(limits={"max": Hostile()})
    flow.add_routine(routine, "gate")
    expected = r'routines\["gate"\]\._config\["limits"\]\["max"\] is of type .*Hostile'
    with pytest.raises(TypeError, match=expected):
        Store(tmp_path).save_flow(flow)
    assert Store(tmp_path).list_flows() == []
