"""The tagged-value format (routilux.serialization.tagged): every tag, round trips, bad input."""

from __future__ import annotations

import collections
import datetime as dt
import enum
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routilux.serialization import TAG, decode_tagged, encode_tagged, restore_tagged
from routilux.serialization.tagged import MAX_NESTING, JsonTagger, TagDecoder, Tagger, enum_member, enum_path


class Level(enum.Enum):
    LOW = 1
    HIGH = 2


class Tone(str, enum.Enum):
    DARK = "dark"


class Text(str):
    def __str__(self) -> str:
        return "not the content"


Pair = collections.namedtuple("Pair", "a b")

HERE = Level.__module__


def text(value: Any) -> str:
    """``value`` as the ``json`` serializer writes it."""
    return json.dumps(encode_tagged(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def through_json(value: Any) -> Any:
    """``value`` encoded, written, read and decoded with the stdlib json module."""
    return json.loads(text(value), object_hook=decode_tagged)


def kinds(value: Any) -> collections.Counter[str]:
    """How many values of each type ``value`` holds, itself included (equal values may differ here:
    1 and True, a list and a tuple, a member and its value, two offsets of one instant)."""
    found: collections.Counter[str] = collections.Counter()
    stack = [value]
    while stack:
        item = stack.pop()
        found[type(item).__qualname__] += 1
        if isinstance(item, (dt.datetime, dt.time)):
            found[f"offset {item.utcoffset()}"] += 1
        if isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
    return found


def same(restored: Any, expected: Any) -> bool:
    return restored == expected and kinds(restored) == kinds(expected)


EVERY_TAG = {
    "datetime": (dt.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))),
                 {TAG: "datetime", "value": "2024-01-02T03:04:05.000006+05:30"}),
    "date": (dt.date(2024, 1, 2), {TAG: "date", "value": "2024-01-02"}),
    "time": (dt.time(1, 2, 3, tzinfo=dt.timezone.utc), {TAG: "time", "value": "01:02:03+00:00"}),
    "enum": (Level.HIGH, {TAG: "enum", "class": f"{HERE}:Level", "value": 2}),
    "tuple": ((1, "a"), {TAG: "tuple", "items": [1, "a"]}),
    "set": ({"b", "a"}, {TAG: "set", "items": ["a", "b"]}),
    "frozenset": (frozenset({2, 1}), {TAG: "frozenset", "items": [1, 2]}),
    "bytes": (b"\x00\xff", {TAG: "bytes", "value": "AP8="}),
    "map": ({1: "one", "two": 2}, {TAG: "map", "items": [[1, "one"], ["two", 2]]}),
}


@pytest.mark.parametrize("tag", sorted(EVERY_TAG))
def test_each_tag_is_written_and_read_back(tag):
    value, tagged = EVERY_TAG[tag]

    assert encode_tagged(value) == tagged
    assert same(decode_tagged(tagged), value)
    assert same(through_json([value]), [value])


def test_a_user_key_equal_to_the_tag_key_is_written_as_pairs():
    value = {TAG: "tuple", "items": [1, 2]}

    assert encode_tagged(value) == {TAG: "map", "items": [[TAG, "tuple"], ["items", [1, 2]]]}
    assert through_json(value) == value


def test_plain_data_is_returned_as_it_is():
    data = {"a": [1, 2.5, None, True, {"b": "c"}], "d": {}}

    assert encode_tagged(data) is data
    assert restore_tagged(data) is data


def test_only_changed_containers_are_copied():
    inner = {"plain": [1, 2]}
    data = {"keep": inner, "when": dt.date(2024, 1, 2)}

    encoded = encode_tagged(data)

    assert encoded is not data and encoded["keep"] is inner
    assert data["when"] == dt.date(2024, 1, 2)  # the input is never changed


def test_subclasses_are_written_as_their_base_types():
    value = [Text("content"), Pair(1, 2), collections.OrderedDict(b=1), bytearray(b"xy"), Tone.DARK]

    assert same(through_json(value), ["content", (1, 2), {"b": 1}, b"xy", Tone.DARK])


def test_set_items_are_sorted_so_equal_sets_give_equal_text():
    assert text({3, 1, 2}) == text({2, 3, 1}) == '{"__routilux__":"set","items":[1,2,3]}'
    assert text(frozenset({"é", "z"})) == '{"__routilux__":"frozenset","items":["é","z"]}'


def test_non_finite_floats_are_plain_for_the_json_module():
    assert math.isnan(through_json([math.nan])[0])
    assert through_json([math.inf, -math.inf]) == [math.inf, -math.inf]


@pytest.mark.parametrize("value", [object(), dt.timedelta(1), 1j, memoryview(b"m"), [{"k": Ellipsis}]])
def test_other_values_are_refused_by_type(value):
    with pytest.raises(TypeError, match=r"cannot encode [\w.]+ as JSON$"):
        encode_tagged(value)


def test_a_refused_value_is_named_without_running_its_code():
    class Loud:
        def __repr__(self) -> str:
            raise AssertionError("repr ran")

    with pytest.raises(TypeError, match=f"cannot encode {Loud.__module__}.*Loud as JSON"):
        encode_tagged({"x": Loud()})


def nested(levels: int) -> Any:
    value: Any = 0
    for index in range(levels):
        value = {"k": value} if index % 2 else [value]
    return value


def test_nesting_is_bounded():
    encode_tagged(nested(MAX_NESTING))
    with pytest.raises(ValueError, match=f"nested more than {MAX_NESTING} levels deep"):
        encode_tagged(nested(MAX_NESTING + 2))
    with pytest.raises(ValueError, match=f"nested more than {MAX_NESTING} levels deep"):
        restore_tagged(nested(MAX_NESTING + 2))


def test_restore_decodes_innermost_first():
    data = {"a": [{TAG: "tuple", "items": [{TAG: "date", "value": "2024-01-02"}]}], "b": {"c": 1}}

    restored = restore_tagged(data)

    assert restored == {"a": [(dt.date(2024, 1, 2),)], "b": {"c": 1}}
    assert restored["b"] is data["b"]


def test_enum_members_come_back_only_from_imported_classes():
    assert enum_path(Level.LOW) == f"{HERE}:Level"
    assert enum_member(f"{HERE}:Level", 1) is Level.LOW
    assert enum_member("module_never_imported:Level", 1) == 1
    assert enum_member(f"{HERE}:Tone", 1) == 1  # 1 is no Tone
    assert enum_member(f"{HERE}:Level.__class__", 1) == 1  # no dunder walk
    assert enum_member(f"{HERE}:Pair", 1) == 1  # not an enum


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ({TAG: "martian"}, "unknown tag"),
        ({TAG: ["not", "hashable"]}, "unknown tag"),
        ({TAG: "datetime", "value": 5}, "datetime tag: 'value' must be a string"),
        ({TAG: "date", "value": "not a date"}, "Invalid isoformat"),
        ({TAG: "enum", "class": 3, "value": 1}, "enum tag: 'class' must be a string"),
        ({TAG: "tuple", "items": 3}, "tuple tag: 'items' must be a list"),
        ({TAG: "set", "items": [{}]}, "set tag: unhashable item"),
        ({TAG: "bytes", "value": "***"}, "bytes tag: invalid base64"),
        ({TAG: "map", "items": [[1]]}, r"map tag: each item must be a \[key, value\] pair"),
        ({TAG: "map", "items": [[{}, 1]]}, "map tag: unhashable key"),
    ],
)
def test_malformed_tagged_objects_are_value_errors(obj, message):
    with pytest.raises(ValueError, match=message):
        decode_tagged(obj)
    with pytest.raises(ValueError, match=message):
        restore_tagged([obj])


def test_list_items_become_tuples_where_they_must_be_hashable():
    assert decode_tagged({TAG: "set", "items": [[1, [2]]]}) == {(1, (2,))}
    assert decode_tagged({TAG: "map", "items": [[[1, 2], "k"]]}) == {(1, 2): "k"}


def test_a_format_adds_tags_and_writes_them_its_own_way():
    class Brackets(Tagger):
        format_name = "brackets"

        def tag(self, tag: str, payload: Any) -> Any:
            return f"<{tag}>"

    decoder = TagDecoder(extra={"answer": lambda obj: 42})

    assert Brackets(sort_key=repr)([(1,), {2: 3}]) == ["<tuple>", "<map>"]
    assert decoder.object_hook({TAG: "answer"}) == 42 and decoder.object_hook({"plain": 1}) == {"plain": 1}
    assert decoder.restore([{TAG: "answer"}, {TAG: "tuple", "items": []}]) == [42, ()]
    with pytest.raises(TypeError, match="cannot encode object as brackets"):
        Brackets(sort_key=repr)(object())


def test_json_tagger_sorts_sets_with_its_sort_key():
    by_length = JsonTagger(sort_key=len)

    assert by_length({"ccc", "a", "bb"}) == {TAG: "set", "items": ["a", "bb", "ccc"]}


scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
    | st.sampled_from([TAG, "items", "value"]) | st.binary(max_size=8) | st.datetimes() | st.dates()
    | st.times() | st.sampled_from(list(Level) + list(Tone))
)
hashables = st.recursive(scalars, lambda inner: st.tuples(inner, inner) | st.frozensets(inner, max_size=3),
                         max_leaves=4)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.lists(inner, max_size=3).map(tuple)
    | st.dictionaries(st.text(max_size=8) | st.just(TAG), inner, max_size=4)
    | st.dictionaries(hashables, inner, max_size=3) | st.sets(hashables, max_size=3),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(value=values)
def test_every_value_round_trips_with_its_types(value):
    assert same(through_json(value), value)
    assert same(restore_tagged(json.loads(text(value))), value)


@settings(max_examples=200, deadline=None)
@given(value=values)
def test_the_text_is_stable_across_a_round_trip(value):
    once = text(value)

    assert text(through_json(value)) == once
