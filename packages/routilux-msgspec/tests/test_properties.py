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
