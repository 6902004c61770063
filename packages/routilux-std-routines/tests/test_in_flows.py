"""Every routine inside a running flow, in sequential and in concurrent mode."""

from __future__ import annotations

import threading

import pytest

from routilux_std_routines import (
    ConditionalRouter,
    DataAggregator,
    DataBatcher,
    DataFilter,
    DataFlattener,
    DataTransformer,
    DataValidator,
    RateLimiter,
    ResultExtractor,
    TextClipper,
    TextRenderer,
    TimeProvider,
)

STRATEGIES = ["sequential", "concurrent"]


@pytest.fixture(params=STRATEGIES)
def strategy(request):
    return request.param


def test_text_clipper(kit, strategy):
    clipper = TextClipper()
    clipper.set_config(max_length=10)
    flow, sinks = kit.build_flow(strategy, clipper)
    kit.run(flow, [{"text": "aaaa\nbbbb\ncccc\ndddd"}])
    assert kit.received(sinks["output"], "clipped_text") == ["aaaa\n...(省略了3行)"]


def test_text_renderer(kit, strategy):
    flow, sinks = kit.build_flow(strategy, TextRenderer())
    kit.run(flow, [{"data": {"name": "test"}}])
    assert kit.received(sinks["output"], "rendered_text") == ["<name>test</name>"]


def test_result_extractor(kit, strategy):
    flow, sinks = kit.build_flow(strategy, ResultExtractor())
    kit.run(flow, [{"data": '```json\n{"k": 1}\n```'}, {"data": "plain"}])
    results = sorted(kit.received(sinks["output"]), key=lambda p: p["confidence"])
    assert [(r["extracted_result"], r["format"]) for r in results] == [("plain", "str"), ({"k": 1}, "json")]


def test_time_provider(kit, strategy):
    flow, sinks = kit.build_flow(strategy, TimeProvider(), slot="request")
    kit.run(flow, [{"format": "formatted"}])
    [out] = kit.received(sinks["output"])
    assert "年" in out["time_string"] and out["timestamp"] > 0


def test_data_flattener(kit, strategy):
    flow, sinks = kit.build_flow(strategy, DataFlattener())
    kit.run(flow, [{"data": {"a": {"b": 1}}}, {"data": 42}])
    flat = kit.received(sinks["output"], "flattened_data")
    assert sorted(flat, key=str) == [{"a.b": 1}, {"value": 42}]


def test_data_transformer(kit, strategy):
    transformer = DataTransformer()
    transformer.set_config(transformations=["strip_whitespace", "uppercase"])
    flow, sinks = kit.build_flow(strategy, transformer)
    kit.run(flow, [{"data": "  hi "}])
    assert kit.received(sinks["output"]) == [
        {
            "transformed_data": "HI",
            "transformation_applied": ["strip_whitespace", "uppercase"],
            "errors": None,
        }
    ]


def test_data_validator(kit, strategy):
    validator = DataValidator()
    validator.set_config(rules={"age": "is_int"}, required_fields=["age"])
    flow, sinks = kit.build_flow(strategy, validator, events=("valid", "invalid"))
    kit.run(flow, [{"data": {"age": 3}}, {"data": {"age": "x"}}, {"data": {}}])
    assert kit.received(sinks["valid"], "validated_data") == [{"age": 3}]
    errors = sorted(e for p in kit.received(sinks["invalid"]) for e in p["errors"])
    assert errors == ["Field 'age' failed validation", "Required field 'age' is missing"]


def test_conditional_router(kit, strategy):
    router = ConditionalRouter()
    router.add_route("high", lambda x: x.get("priority") == "high")
    router.add_route("low", {"priority": "low"})
    router.add_route("big", "data.get('size', 0) > config.get('threshold', 0)")
    router.set_config(default_route="normal", threshold=10)
    router.define_event("normal", ["data", "route"])
    flow, sinks = kit.build_flow(strategy, router, events=("high", "low", "big", "normal", "output"))
    kit.run(
        flow, [{"data": d} for d in ({"priority": "high"}, {"priority": "low"}, {"size": 11}, {"size": 1})]
    )
    assert kit.received(sinks["high"]) == [{"data": {"priority": "high"}, "route": "high"}]
    assert kit.received(sinks["low"], "data") == [{"priority": "low"}]
    assert kit.received(sinks["big"], "data") == [{"size": 11}]
    assert kit.received(sinks["normal"]) == [{"data": {"size": 1}, "route": "normal"}]
    assert kit.received(sinks["output"]) == []


def test_data_aggregator_one_per_source(kit, strategy):
    flow, sinks = kit.build_flow(strategy, DataAggregator(), extra_sources=2)
    # Only "src" runs in this job; it emits three times, one per connected source.
    kit.run(flow, [{"data": {"a": 1}}, {"data": {"b": 2}}, {"data": {"c": 3}}])
    [out] = kit.received(sinks["output"])
    assert out["count"] == 3 and out["merged"] == {"a": 1, "b": 2, "c": 3}
    assert sorted(out["items"], key=str) == [{"a": 1}, {"b": 2}, {"c": 3}]


def test_data_aggregator_jobs_do_not_mix(kit, strategy):
    aggregator = DataAggregator()
    aggregator.set_config(count=2)
    flow, sinks = kit.build_flow(strategy, aggregator)
    kit.run(flow, [{"data": 1}])
    kit.run(flow, [{"data": 2}, {"data": 3}])
    assert [sorted(items) for items in kit.received(sinks["output"], "items")] == [[2, 3]]


def test_data_batcher(kit, strategy):
    batcher = DataBatcher()
    batcher.set_config(batch_size=2)
    flow, sinks = kit.build_flow(strategy, batcher)
    kit.run(flow, [{"data": i} for i in range(5)])
    batches = kit.received(sinks["output"], "items")
    assert [len(b) for b in batches] == [2, 2]
    # Concurrent workers may deliver in any order: four distinct items are batched, one waits.
    batched = [x for b in batches for x in b]
    assert len(set(batched)) == 4 and set(batched) <= set(range(5))


def test_data_batcher_flush_in_flow(kit):
    # Sequential mode only: its FIFO order guarantees the flush comes after the inputs.
    batcher = DataBatcher()
    batcher.set_config(batch_size=2)
    flow, sinks = kit.build_flow("sequential", batcher)
    flow.connect("src", "done", "subject", "flush")
    kit.run(flow, [{"data": i} for i in range(3)])
    assert kit.received(sinks["output"], "items") == [[0, 1], [2]]


def test_data_filter(kit, strategy):
    data_filter = DataFilter()
    data_filter.set_config(predicate="data['n'] % 2 == 0")
    flow, sinks = kit.build_flow(strategy, data_filter, events=("output", "rejected"))
    kit.run(flow, [{"data": {"n": i}} for i in range(6)] + [{"data": "no dict"}])
    assert sorted(p["data"]["n"] for p in kit.received(sinks["output"])) == [0, 2, 4]
    rejected = kit.received(sinks["rejected"])
    assert sorted(p["data"]["n"] for p in rejected if isinstance(p["data"], dict)) == [1, 3, 5]
    [error] = [p for p in rejected if "filter_error" in p]
    assert error["data"] == "no dict" and error["filter_error"].startswith("TypeError")


def test_rate_limiter(kit, strategy):
    clock = FrozenClock()
    limiter = RateLimiter(clock=clock.now, sleep=clock.sleep)
    limiter.set_config(max_per_second=2)
    flow, sinks = kit.build_flow(strategy, limiter)
    kit.run(flow, [{"data": i} for i in range(5)])
    assert sorted(kit.received(sinks["output"], "data")) == [0, 1, 2, 3, 4]
    # With time standing still, admissions are reserved at t, t, t+1, t+1, t+2 whatever the thread order.
    assert sorted(clock.slept) == [1.0, 1.0, 2.0]


class FrozenClock:
    """A clock that never moves; sleeps are only recorded (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.slept = []

    def now(self) -> float:
        return 100.0

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
