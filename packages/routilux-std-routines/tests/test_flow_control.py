"""DataAggregator, DataBatcher, DataFilter and RateLimiter driven directly."""

from __future__ import annotations

import json
import threading

import pytest

from routilux.event import Event
from routilux_std_routines import DataAggregator, DataBatcher, DataFilter, RateLimiter

# --------------------------------------------------------------------------- DataAggregator


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


# --------------------------------------------------------------------------- DataBatcher


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


# --------------------------------------------------------------------------- DataFilter


def filtered(capture, predicate, payloads):
    data_filter = DataFilter()
    data_filter.set_config(predicate=predicate, minimum=2)
    passed, rejected = capture(data_filter), capture(data_filter, "rejected")
    for payload in payloads:
        data_filter.input_slot.receive(payload)
    return passed.items, rejected.items


def test_filter_with_expression_callable_and_dict(capture):
    payloads = [{"data": {"n": 1}}, {"data": {"n": 3}, "extra": "kept"}]
    for predicate in (
        "data['n'] >= config['minimum']",
        lambda d, config: d["n"] >= config["minimum"],
        {"n": 3},
    ):
        passed, rejected = filtered(capture, predicate, payloads)
        assert passed == [{"data": {"n": 3}, "extra": "kept"}]
        assert rejected == [{"data": {"n": 1}}]


def test_filter_reports_predicate_errors(capture):
    passed, rejected = filtered(capture, "data['n'] > 1", [{"data": "text"}])
    [payload] = rejected
    assert passed == [] and payload["data"] == "text"
    assert payload["filter_error"].startswith("TypeError: string indices must be integers")


def test_filter_checks_predicate_when_set():
    with pytest.raises(ValueError, match="DataFilter predicate is invalid: Invalid expression 'data ==='"):
        DataFilter().set_config(predicate="data ===")


def test_filter_serializes_its_predicate():
    data_filter = DataFilter()
    data_filter.set_config(predicate=lambda x: x > 2)
    data = json.loads(json.dumps(data_filter.serialize()))
    assert data["_config"]["predicate"] == {"_type": "lambda_expression", "expression": "data > 2"}
    restored = DataFilter()
    restored.deserialize(data)
    assert restored.get_config("predicate")(3) is True


# --------------------------------------------------------------------------- RateLimiter


class ManualClock:
    """Time moves only when the test or a sleeper moves it."""

    def __init__(self) -> None:
        self.time = 0.0
        self.slept = []

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.time += seconds


def limiter_with(clock, **config):
    limiter = RateLimiter(clock=clock.now, sleep=clock.sleep)
    limiter.set_config(**config)
    return limiter


def test_rate_limiter_delays_to_keep_the_rate(capture):
    clock = ManualClock()
    limiter = limiter_with(clock, max_per_second=2)
    out = capture(limiter)
    times = []
    out.slot.handler = lambda **kw: times.append((kw["data"], clock.time))
    for i in range(5):
        limiter.input_slot.receive({"data": i})
    assert times == [(0, 0.0), (1, 0.0), (2, 1.0), (3, 1.0), (4, 2.0)]
    assert clock.slept == [1.0, 1.0]


def test_rate_limiter_window_slides(capture):
    clock = ManualClock()
    limiter = limiter_with(clock, max_per_second=2)
    assert [limiter.reserve() for _ in range(2)] == [0.0, 0.0]
    clock.time = 0.5
    assert limiter.reserve() == 1.0
    clock.time = 5.0
    assert limiter.reserve() == 5.0


def test_rate_limiter_drop_mode(capture):
    clock = ManualClock()
    limiter = limiter_with(clock, max_per_second=1, mode="drop")
    passed, dropped = capture(limiter), capture(limiter, "dropped")
    for i in range(3):
        limiter.input_slot.receive({"data": i})
    clock.time = 1.0
    limiter.input_slot.receive({"data": 3})
    assert [p["data"] for p in passed.items] == [0, 3]
    assert [p["data"] for p in dropped.items] == [1, 2]
    assert clock.slept == []


def test_rate_limiter_fractional_rate():
    clock = ManualClock()
    limiter = limiter_with(clock, max_per_second=0.5)
    assert [limiter.reserve() for _ in range(3)] == [0.0, 2.0, 4.0]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"max_per_second": 0}, "'max_per_second' must be a positive number, got 0"),
        ({"max_per_second": "5"}, "'max_per_second' must be a positive number"),
        ({"mode": "queue"}, "'mode' must be one of delay, drop, got 'queue'"),
    ],
)
def test_rate_limiter_config_errors(config, message):
    with pytest.raises(ValueError, match=message):
        limiter_with(ManualClock(), **config).reserve()


def test_rate_limiter_is_thread_safe():
    # Time stands still, so every admission beyond the first window is a reservation in the future;
    # whatever the interleaving, no one-second window may hold more than the limit.
    lock = threading.Lock()
    limiter = RateLimiter(clock=lambda: 0.0, sleep=lambda s: None)
    limiter.set_config(max_per_second=3)
    reserved = []
    barrier = threading.Barrier(6)

    def worker():
        barrier.wait()
        for _ in range(20):
            at = limiter.reserve()
            with lock:
                reserved.append(at)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(reserved) == [float(i // 3) for i in range(120)]
