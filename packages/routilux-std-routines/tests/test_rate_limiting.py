"""RateLimiter driven directly."""

from __future__ import annotations

import threading

import pytest

from routilux_std_routines import RateLimiter


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
