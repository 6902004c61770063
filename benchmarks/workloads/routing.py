"""Workloads (a) and (b): per-activation cost of a chain and of a fan-out, in sequential mode."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from routilux import Flow

from .floors import floor_chain, floor_fanout
from .flows import chain_flow, fanout_flow, run_job
from .measuring import measure, measure_flow
from .report import Row
from .sizes import CHAIN_LENGTH, FAN_OUT, Sizes


def expected_chain(messages: int, length: int = CHAIN_LENGTH, start: int = 0) -> list[Any]:
    """What the sink of ``chain_flow(seen, length)`` records for messages ``start..start+messages-1``."""
    return [(0, value + length - 1) for value in range(start, start + messages)]


def expected_fanout(messages: int) -> list[Any]:
    """What the sinks of ``fanout_flow`` record, in emit x connection order."""
    return [(tag, value) for value in range(messages) for tag in range(FAN_OUT)]


def bench_routing(label: str, note: str, sizes: Sizes, messages: int, per_message: int,
                  make_flow: Callable[[list[Any]], Flow],
                  floor: Callable[[list[Any], int], None],
                  expected: Callable[[int], list[Any]]) -> Row:
    """One job of ``messages`` through ``make_flow`` vs the same routing in ``floor``."""
    activations = per_message * messages
    want = expected(messages)

    seen: list[Any] = []
    flow = make_flow(seen)
    fw, fw_ok = measure_flow(flow, lambda: run_job(flow, {"count": 10}), sizes.reps,
                             lambda: run_job(flow, {"count": messages}),
                             lambda _: seen == want, seen.clear)

    floor_seen: list[Any] = []
    fl, floor_ok = measure(sizes.reps, lambda: floor(floor_seen, messages),
                           lambda _: floor_seen == want, floor_seen.clear)
    return Row(label, "us/activation", fw / activations * 1e6, fl / activations * 1e6,
               fw_ok and floor_ok, note=note)


def bench_chain(sizes: Sizes) -> Row:
    """(a): cost per activation along a chain of CHAIN_LENGTH routines."""
    m = sizes.chain_messages
    return bench_routing(f"(a) chain of {CHAIN_LENGTH}, sequential, M={m}", "exact messages, in order",
                         sizes, m, CHAIN_LENGTH, chain_flow, floor_chain, expected_chain)


def bench_fanout(sizes: Sizes) -> Row:
    """(b): cost per activation of one source feeding FAN_OUT sinks."""
    m = sizes.fanout_messages
    return bench_routing(f"(b) fan-out 1->{FAN_OUT}, sequential, M={m}",
                         "exact messages, emit x connection order",
                         sizes, m, FAN_OUT, fanout_flow, floor_fanout, expected_fanout)
