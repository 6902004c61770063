"""Hypothesis: both codecs round-trip every value the ``json`` codec round-trips, exactly,
and treat every other value (lossy or refused) the way the ``json`` codec does."""

from __future__ import annotations

import collections
import datetime as dt
import decimal
import enum
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


class Color(enum.Enum):
    RED = "red"
    BLUE = 2
    MIXED = (1, "x")


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Tone(str, enum.Enum):
    DARK = "dark"


Point = collections.namedtuple("Point", "x y")

offsets = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(
    lambda minutes: dt.timezone(dt.timedelta(minutes=minutes))
)
zones = st.none() | st.just(dt.timezone.utc) | offsets
texts = st.text(max_size=20) | st.sampled_from(["__routilux__", "items", "value", "class", ""])


def scalar_values(finite: bool = False) -> st.SearchStrategy[Any]:
    return (
        st.none()
        | st.booleans()
        | st.integers()
        | st.integers(min_value=2**62, max_value=2**70)
        | st.integers(min_value=-(2**70), max_value=-(2**62))
        | st.floats(allow_nan=False, allow_infinity=not finite)
        | texts
        | st.binary(max_size=20)
        | st.datetimes(timezones=zones)
        | st.dates()
        | st.times(timezones=zones)
        | st.sampled_from(list(Color) + list(Level) + list(Tone))
    )


def exact(finite: bool = False) -> st.SearchStrategy[Any]:
    """Values the json codec round-trips exactly (``finite``: no infinities)."""
    scalars = scalar_values(finite)
    hashables = st.recursive(
        scalars, lambda inner: st.tuples(inner, inner) | st.frozensets(inner, max_size=3), max_leaves=5
    )
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.lists(inner, max_size=3).map(tuple)
            | st.dictionaries(texts, inner, max_size=4)
            | st.dictionaries(hashables, inner, max_size=3)
            | st.sets(hashables, max_size=3)
            | st.frozensets(hashables, max_size=3)
        ),
        max_leaves=25,
    )


scalars = scalar_values()
exact_values = exact()

#: Leaves the json codec changes (bytearray -> bytes, subclasses -> their base) or refuses.
odd_leaves = (
    st.binary(max_size=5).map(bytearray)
    | st.builds(Point, scalars, scalars)
    | st.dictionaries(texts, scalars, max_size=2).map(collections.OrderedDict)
    | st.sampled_from([dt.timedelta(1), decimal.Decimal("1.5"), 1j, object(), memoryview(b"m"), Ellipsis])
)
any_values = st.recursive(
    scalars | odd_leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4)
    | st.lists(inner, max_size=3).map(tuple),
    max_leaves=15,
)

PROPERTY_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(value=exact_values)
def test_msgpack_round_trips_exactly(value: Any, same) -> None:
    from routilux_msgspec import msgpack_codec

    same(msgpack_codec.loads(msgpack_codec.dumps(value)), value)


@PROPERTY_SETTINGS
@given(value=exact_values)
def test_msgspec_json_round_trips_exactly(value: Any, same) -> None:
    from routilux_msgspec import json_codec

    same(json_codec.loads(json_codec.dumps(value)), value)


@PROPERTY_SETTINGS
@given(value=exact_values)
def test_round_trip_is_byte_stable(value: Any) -> None:
    from routilux_msgspec import json_codec, msgpack_codec

    for codec in (msgpack_codec, json_codec):
        once = codec.dumps(value)
        assert codec.dumps(codec.loads(once)) == once


def outcome(codec: Any, value: Any, as_typed: Any) -> Any:
    try:
        return ("value", as_typed(codec.loads(codec.dumps(value))))
    except (TypeError, ValueError) as error:
        return ("refused", type(error).__name__)


@PROPERTY_SETTINGS
@given(value=exact_values | any_values)
def test_same_outcome_as_the_json_codec(value: Any, as_typed, sibling) -> None:
    json_store = sibling("routilux_json_store")  # its json codec is the reference
    from routilux_msgspec import json_codec, msgpack_codec

    expected = outcome(json_store.codec, value, as_typed)
    assert outcome(msgpack_codec, value, as_typed) == expected
    assert outcome(json_codec, value, as_typed) == expected


@PROPERTY_SETTINGS
@given(value=exact(finite=True))  # the json codec writes NaN/Infinity literals, msgspec a tag
def test_msgspec_json_and_the_json_codec_read_each_other(value: Any, same, sibling) -> None:
    json_store = sibling("routilux_json_store")
    from routilux_msgspec import json_codec

    same(json_store.codec.loads(json_codec.dumps(value)), value)
    same(json_codec.loads(json_store.codec.dumps(value)), value)


# -- whole job states: JobState.save/load (the serializers' job codecs) ---------------------------

#: Record data: mostly the flat dicts of the common case, some with any exactly kept value.
record_data = (
    st.dictionaries(texts, st.none() | st.booleans() | st.integers() | st.floats() | texts, max_size=4)
    | st.dictionaries(texts, exact_values, max_size=3)
    | st.none()
)


@st.composite
def job_states(draw: st.DrawFn) -> Any:
    from routilux import ExecutionRecord, JobState

    # One kind of timestamp per job: the history is sorted, and naive and aware ones do not compare.
    zone = st.none() if draw(st.booleans()) else st.just(dt.timezone.utc) | offsets
    timestamps = st.datetimes(timezones=zone)
    names = st.sampled_from(["n0", "n1", "out"]) | st.text(max_size=8)
    job = JobState(flow_id=draw(st.text(max_size=8)))
    job.execution_history = [
        ExecutionRecord(draw(names), draw(names), draw(record_data), draw(timestamps))
        for _ in range(draw(st.integers(min_value=0, max_value=6)))
    ]
    job.update_shared_data("value", draw(exact_values))
    return job


JOB_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                              HealthCheck.function_scoped_fixture])


@JOB_SETTINGS
@given(job=job_states())
def test_job_save_writes_dumps_bytes_and_load_gives_the_generic_job(job: Any, same, tmp_path) -> None:
    """The job codecs write what ``dumps(job.serialize())`` writes, and read back what
    ``deserialize(loads(...))`` reads, types included, for every serializer of the package."""
    from routilux import JobState
    from routilux.plugins import get_registry

    for name, suffix in (("msgpack", ".mpk"), ("msgspec-json", ".msgspec.json")):
        spec = get_registry().get_serializer(name)
        path = tmp_path / f"job{suffix}"
        job.save(path)
        raw = path.read_bytes()
        assert raw == spec.dumps(job.serialize())
        loaded = JobState.load(path)
        same(loaded.serialize(), JobState().deserialize(spec.loads(raw)).serialize())
        same([r.data for r in loaded.execution_history], [r.data or {} for r in job.execution_history])
