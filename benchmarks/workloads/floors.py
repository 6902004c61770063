"""Plain-Python floors: the same routing, and the same job handoff, with no framework."""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from .sizes import CHAIN_LENGTH, FAN_OUT


class FloorRouter:
    """The workloads' routing by hand: a deque of ``(target, kwargs)`` and ``handler(emit, **kw)`` calls.

    ``wiring`` maps a node to the nodes its emits go to; ``handlers[node]`` is called as
    ``handler(emit, **kw)``, ``emit`` being the node's own emit.
    """

    def __init__(self, wiring: dict[int, list[int]], handlers: list[Callable[..., Any]]) -> None:
        self.pending: deque[tuple[int, dict[str, Any]]] = deque()
        self.handlers = handlers
        self.emits = [self._emitter(wiring.get(node, [])) for node in range(len(handlers))]

    def _emitter(self, targets: list[int]) -> Callable[..., None]:
        pending = self.pending

        def emit(**kw: Any) -> None:
            for target in targets:
                pending.append((target, dict(kw)))

        return emit

    def run(self, entry: int, messages: int, start: int = 0) -> None:
        """``entry`` emits ``value=start..start+messages-1``; run until nothing is pending."""
        emit = self.emits[entry]
        for value in range(start, start + messages):
            emit(value=value)
        pending, handlers, emits = self.pending, self.handlers, self.emits
        popleft = pending.popleft
        while pending:
            target, kw = popleft()
            handlers[target](emits[target], **kw)


def floor_route(wiring: dict[int, list[int]], handlers: list[Callable[..., Any]], entry: int,
                messages: int) -> None:
    """Build a :class:`FloorRouter` and run ``messages`` messages from ``entry`` through it."""
    FloorRouter(wiring, handlers).run(entry, messages)


def chain_router(seen: list[Any], length: int = CHAIN_LENGTH) -> FloorRouter:
    """The routing of ``chain_flow(seen, length)`` by hand (entry: node 0); its sink records into ``seen``."""

    def make_relay() -> Callable[..., None]:
        # One function per node: the chain's routines are distinct objects too.
        def relay(emit: Callable[..., None], value: int) -> None:
            emit(value=value + 1)

        return relay

    def sink(emit: Callable[..., None], value: int) -> None:
        seen.append((0, value))

    # node 0 is the source, nodes 1..length-1 relay, node length is the sink
    handlers: list[Callable[..., Any]] = [make_relay() for _ in range(length)] + [sink]
    return FloorRouter({node: [node + 1] for node in range(length)}, handlers)


def floor_chain(seen: list[Any], messages: int, length: int = CHAIN_LENGTH) -> None:
    """``chain_flow(seen, length)``'s routing by hand (built, then run), for ``messages`` messages."""
    chain_router(seen, length).run(0, messages)


def floor_fanout(seen: list[Any], messages: int) -> None:
    """The routing of ``fanout_flow`` by hand, recording into ``seen`` what its sinks would."""

    def make_sink(tag: int) -> Callable[..., None]:
        def sink(emit: Callable[..., None], value: int) -> None:
            seen.append((tag, value))

        return sink

    handlers: list[Callable[..., Any]] = [lambda emit, value: None]
    handlers += [make_sink(tag) for tag in range(FAN_OUT)]
    wiring = {0: list(range(1, FAN_OUT + 1))}
    floor_route(wiring, handlers, 0, messages)


class PlainRoutine:
    """The floor of building a routine: the same structure (named slots and events) in plain objects."""

    __slots__ = ("slots", "events")

    def __init__(self) -> None:
        # A slot is [name, handler, data]; an event is [name, params, connected slots].
        self.slots = {"in": ["in", self.on_value, {}]}
        self.events = {"out": ["out", ["value"], []]}

    def on_value(self, value: int) -> int:
        return value + 1


def floor_build(length: int) -> tuple[dict[str, PlainRoutine], list[tuple[Any, Any]]]:
    """Build the structure of ``chain_flow(seen, length)`` in plain objects: routines by id and links."""
    routines: dict[str, PlainRoutine] = {}
    links: list[tuple[Any, Any]] = []
    previous = None
    for index in range(length + 1):
        rid = f"n{index}"
        routine = routines[rid] = PlainRoutine()
        if previous is not None:
            event, slot = previous.events["out"], routine.slots["in"]
            event[2].append(slot)
            links.append((event, slot))
        previous = routine
    return routines, links


class HandoffWorker:
    """The floor of a job: hand it to a worker thread and wait for its reply."""

    def __init__(self) -> None:
        self.requests: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.replies: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            item = self.requests.get()
            if item is None:
                return
            self.replies.put(item + 1)

    def close(self) -> None:
        """Stop the worker thread and wait for it."""
        self.requests.put(None)
        self.thread.join()
