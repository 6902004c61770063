"""Plain-Python floors: the same routing, and the same job handoff, with no framework."""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from .sizes import CHAIN_LENGTH, FAN_OUT


def floor_route(wiring: dict[int, list[int]], handlers: list[Callable[..., Any]], entry: int,
                messages: int) -> None:
    """Run the workload's routing with a deque of (target, kwargs) and ``handler(**kw)``."""
    pending: deque[tuple[int, dict[str, Any]]] = deque()

    def emitter(node: int) -> Callable[..., None]:
        targets = wiring.get(node, [])

        def emit(**kw: Any) -> None:
            for target in targets:
                pending.append((target, dict(kw)))

        return emit

    emits = [emitter(node) for node in range(len(handlers))]
    for value in range(messages):
        emits[entry](value=value)
    popleft = pending.popleft
    while pending:
        target, kw = popleft()
        handlers[target](emits[target], **kw)


def floor_chain(seen: list[Any], messages: int) -> None:
    """The routing of ``chain_flow`` by hand, recording into ``seen`` what its sink would."""

    def relay(emit: Callable[..., None], value: int) -> None:
        emit(value=value + 1)

    def sink(emit: Callable[..., None], value: int) -> None:
        seen.append((0, value))

    # node 0 is the source, nodes 1..CHAIN_LENGTH-1 relay, node CHAIN_LENGTH is the sink
    handlers: list[Callable[..., Any]] = [relay] * CHAIN_LENGTH + [sink]
    wiring = {node: [node + 1] for node in range(CHAIN_LENGTH)}
    floor_route(wiring, handlers, 0, messages)


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
