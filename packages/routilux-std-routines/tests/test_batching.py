"""DataAggregator and DataBatcher driven directly."""

from __future__ import annotations

import threading

import pytest

from routilux.event import Event
from routilux_std_routines import DataAggregator, DataBatcher


def test_aggregator_emits_after_count_then_starts_over(capture):
    aggregator = DataAggregator()
    aggregator.set_config(count=2)
    out = capture(aggregator)
    aggregator.input_slot.receive({"data": {"a": 1}})
    assert out.items == [] and aggregator.pending_count() == 1
    aggregator.input_slot.receive({"data": {"b": 2, "a": 3}})
    aggregator.input_slot.receive({"data": "x"})
    assert out.items == [{"items": [{"a": 1}, {"b": 2, "a": 3}], "count": 2, "merged": {"a": 3, "b": 2}}]
    assert aggregator.pending_count() == 1


def test_aggregator_defaults_to_one_per_connected_source(capture):
    aggregator = DataAggregator()
    out = capture(aggregator)
    for index in range(3):
        aggregator.input_slot.connect(Event(f"source{index}"))
    aggregator.input_slot.receive({"data": 1})
    aggregator.input_slot.receive({"data": 2})
    assert out.items == []
    aggregator.input_slot.receive({"data": 3})
    assert out.last["items"] == [1, 2, 3]


def test_aggregator_without_sources_passes_each_item(capture):
    aggregator = DataAggregator()
    out = capture(aggregator)
    aggregator.input_slot.receive({"value": 5})
    assert out.items == [{"items": [5], "count": 1, "merged": {}}]


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_aggregator_rejects_bad_count(bad):
    aggregator = DataAggregator()
    aggregator.set_config(count=bad)
    with pytest.raises(ValueError, match="'count' must be a positive integer"):
        aggregator._group_size()


def test_aggregator_is_thread_safe(capture):
    aggregator = DataAggregator()
    aggregator.set_config(count=10)
    out = capture(aggregator)
    barrier = threading.Barrier(8)

    def feed(worker):
        barrier.wait()
        for i in range(50):
            aggregator.input_slot.receive({"data": (worker, i)})

    threads = [threading.Thread(target=feed, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(out.items) == 40 and all(p["count"] == 10 for p in out.items)
    assert sorted(x for p in out.items for x in p["items"]) == sorted(
        (w, i) for w in range(8) for i in range(50)
    )


def test_batcher_batches_and_flushes(capture):
    batcher = DataBatcher()
    batcher.set_config(batch_size=3)
    out = capture(batcher)
    for i in range(7):
        batcher.input_slot.receive({"data": i})
    assert [p["items"] for p in out.items] == [[0, 1, 2], [3, 4, 5]]
    batcher.flush_slot.receive({})
    assert out.last == {"items": [6], "count": 1, "merged": {}}
    batcher.flush_slot.receive({})
    assert len(out.items) == 3


def test_batcher_rejects_bad_size():
    batcher = DataBatcher()
    batcher.set_config(batch_size=0)
    with pytest.raises(ValueError, match="DataBatcher config 'batch_size' must be a positive integer, got 0"):
        batcher._group_size()
