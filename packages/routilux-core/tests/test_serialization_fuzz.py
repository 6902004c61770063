"""Garbage in: Flow.deserialize, JobState.deserialize and JobState.load raise ValueError/TypeError or succeed.

Never another exception, never a hang, never a half-built flow.
"""

from __future__ import annotations

import json
import warnings

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routilux import Flow, JobState, Routine, register_serializable
from routilux.plugins.hookspecs import hookimpl
from routilux.plugins.specs import SerializerSpec
from routilux.testing import FakeEntryPoint, make_registry, use_registry


@register_serializable
class FuzzNode(Routine):
    def __init__(self):
        super().__init__()
        self.define_slot("input", handler=self.on_input)
        self.define_event("output", ["v"])

    def on_input(self, v=None):
        return v


def sample_flow_data():
    flow = Flow(flow_id="fuzz", execution_strategy="concurrent", max_workers=3)
    for name in ("a", "b", "c"):
        flow.add_routine(FuzzNode(), name)
    flow.connect("a", "output", "b", "input", {"v": "v"})
    flow.connect("a", "output", "c", "input")
    flow.routines["a"].set_config(k=[1, {"x": None}])
    return json.loads(json.dumps(flow.serialize()))


def sample_job_data():
    job = JobState("fuzz")
    job.record_execution("a", "output", {"v": 1})
    job.pending_tasks = [
        {
            "slot_routine_id": "b",
            "slot_name": "input",
            "data": {"v": 1},
            "param_mapping": {},
            "priority": 2,
            "retry_count": 0,
            "max_retries": 0,
        }
    ]
    job.add_deferred_event("a", "output", {"v": 2})
    return json.loads(json.dumps(job.serialize()))


scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
keys = st.sampled_from(
    [
        "_type",
        "_id",
        "flow_id",
        "routines",
        "connections",
        "_slots",
        "_events",
        "handler",
        "merge_strategy",
        "_source_routine_id",
        "_target_slot_name",
        "param_mapping",
        "status",
        "pending_tasks",
        "callable_type",
        "module",
        "name",
        "execution_history",
        "created_at",
        "Flow",
        "FuzzNode",
        "callable",
        "data",
    ]
) | st.text(max_size=8)
garbage = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=30,
)


def paths(data, prefix=()):
    """Every (path, value) of nested dicts/lists."""
    yield prefix, data
    if isinstance(data, dict):
        for key, value in data.items():
            yield from paths(value, prefix + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from paths(value, prefix + (index,))


def replaced(data, path, value):
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(data, dict):
        return {**data, head: replaced(data[head], rest, value)}
    copy = list(data)
    copy[head] = replaced(copy[head], rest, value)
    return copy


@st.composite
def mutated(draw, base):
    data = base()
    for _ in range(draw(st.integers(1, 3))):
        all_paths = [p for p, _ in paths(data)]
        path = draw(st.sampled_from(all_paths))
        data = replaced(data, path, draw(garbage))
    return data


def deep(depth):
    data = {"_type": "Flow", "routines": {}, "connections": []}
    node = data["routines"]
    node["r"] = {"_type": "FuzzNode", "_config": {}}
    cursor = node["r"]["_config"]
    for _ in range(depth):
        cursor["n"] = {}
        cursor = cursor["n"]
    return data


def check_flow(data):
    flow = Flow(flow_id="untouched")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            flow.deserialize(data)
    except (ValueError, TypeError):
        assert flow.flow_id == "untouched" and flow.routines == {} and flow.connections == []


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(garbage)
def test_flow_deserialize_on_garbage(data):
    check_flow(data)


@FUZZ
@given(mutated(sample_flow_data))
def test_flow_deserialize_on_mutated_flows(data):
    check_flow(data)


@FUZZ
@given(mutated(sample_job_data) | garbage)
def test_job_deserialize_on_garbage(data):
    try:
        JobState().deserialize(data)
    except (ValueError, TypeError):
        pass


def test_deep_nesting_is_rejected_not_a_recursion_error():
    check_flow(deep(50))  # fine
    try:
        Flow().deserialize(deep(100_000))
    except ValueError as error:
        assert "nested deeper" in str(error)
    else:
        raise AssertionError("100000 levels of nesting were accepted")


class RawBytesFormat:
    """Serializer whose files are plain JSON (so the fuzz test can write any bytes)."""

    @hookimpl
    def routilux_register_serializers(self):
        return [
            SerializerSpec(
                name="fuzzjson",
                dumps=lambda o: json.dumps(o).encode(),
                loads=lambda b: json.loads(b.decode("utf-8")),
                suffixes=(".fz",),
            )
        ]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200) | mutated(sample_job_data).map(lambda d: json.dumps(d).encode()))
def test_job_load_on_garbage_files(tmp_path, blob):
    path = tmp_path / "job.fz"
    path.write_bytes(blob)
    with use_registry(make_registry(entry_points=[FakeEntryPoint("fuzzjson", RawBytesFormat())])):
        try:
            JobState.load(path)
        except (ValueError, TypeError):
            pass
