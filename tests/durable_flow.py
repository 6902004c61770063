"""The durable flow the crash tests run in child processes, and the child's command line.

    python durable_flow.py run STORE SIDE_EFFECTS KILL_POINT   # runs a job; may SIGKILL itself
    python durable_flow.py recover STORE SIDE_EFFECTS [GO_FILE] # recovers; prints the recovered count

The flow: ``source`` emits ITEMS items (a fan-out); ``work`` records each item
in the job (shared data, shared log, an output) and passes it on; ``flaky``
fails the first attempt of one item and is retried after RETRY_DELAY seconds;
``collect`` is an ``append`` slot that records every value it has seen and
sends the number it was given as an output (1, 2, ... once each). Each
handler run appends one line to SIDE_EFFECTS (opened O_APPEND, so lines
survive a SIGKILL): the side effects the test counts.

KILL_POINT is ``work:<k>`` (die in the k-th run of ``work``, after flushing the
journal), ``fanout:<k>`` (die in the source's emit loop after k emits),
``retry`` (die while ``flaky`` waits out its retry delay), ``paused`` (die
while the job is paused) or ``none``.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Any

from routilux import ErrorHandler, ErrorStrategy, Flow, JobState, Routine, activation_key

ITEMS = 12
FLAKY_ITEM = 5
RETRY_DELAY = 0.5

_state: dict[str, Any] = {"kill": "none", "effects": None, "store": None, "runs": 0}


def _side_effect(name: str, item: Any) -> None:
    key = activation_key()
    line = f"{name} {item} {key[1] if key else '-'}\n".encode()
    fd = os.open(_state["effects"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def _die() -> None:
    _state["store"].flush(timeout=10)
    os.kill(os.getpid(), signal.SIGKILL)


class Source(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.define_slot("trigger", self.on_trigger)
        self.define_event("out", ["item"])

    def on_trigger(self, count: int) -> None:
        kill = _state["kill"]
        for item in range(count):
            self.emit("out", item=item)
            if kill == f"fanout:{item + 1}":
                _die()  # mid fan-out: the entry has not ended, its emits are not recorded


class Work(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.define_slot("input", self.on_item)
        self.define_event("out", ["value"])

    def on_item(self, item: int) -> None:
        _side_effect("work", item)
        _state["runs"] += 1
        context = self.get_execution_context()
        job = context.job_state
        job.update_shared_data(f"item-{item}", item * 10)
        job.append_to_shared_log({"item": item})
        self.send_output("value", item=item)
        if _state["kill"] == f"work:{_state['runs']}":
            _die()  # this run's side effect happened; its end is not journaled
        if _state["kill"] == "paused" and _state["runs"] == ITEMS // 2:
            context.flow.pause(job, reason="test")  # from a handler: completes when this one returns
        self.emit("out", value=item * 10)


class Flaky(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.define_slot("input", self.on_value)
        self.define_event("out", ["value"])
        retry = ErrorHandler(strategy=ErrorStrategy.RETRY, max_retries=2, retry_delay=RETRY_DELAY)
        self.set_error_handler(retry)

    def on_value(self, value: int) -> None:
        key = activation_key()
        _side_effect("flaky", value)
        if value == FLAKY_ITEM * 10 and key is not None and not _already_failed(key):
            _mark_failed(key)
            if _state["kill"] == "retry":
                threading.Thread(target=_die_once_retry_is_journaled, args=(key[0],), daemon=True).start()
            raise RuntimeError("first attempt fails")
        self.emit("out", value=value)


def _die_once_retry_is_journaled(job_id: str) -> None:
    """Die as soon as the failure and its pending retry are committed: inside the retry delay."""
    store = _state["store"]
    while True:
        store.flush(timeout=10)
        if any(kind == "failed" and "retry" in payload for kind, _seq, payload in store.records(job_id)):
            os.kill(os.getpid(), signal.SIGKILL)
        threading.Event().wait(0.001)


def _failed_marker(key: tuple[str, int]) -> str:
    return f"{_state['effects']}.failed-{key[1]}"


def _already_failed(key: tuple[str, int]) -> bool:
    return os.path.exists(_failed_marker(key))


def _mark_failed(key: tuple[str, int]) -> None:
    with open(_failed_marker(key), "w"):
        pass


class Collect(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.define_slot("input", self.on_values, merge_strategy="append")

    def on_values(self, value: list[int]) -> None:
        _side_effect("collect", len(value))
        context = self.get_execution_context()
        context.job_state.update_routine_state(context.routine_id, {"seen": sorted(value)})
        self.send_output("seen", count=len(value))


def build(store: Any) -> Flow:
    flow = Flow(flow_id="crash-test", store=store)
    flow.add_routine(Source(), "source")
    flow.add_routine(Work(), "work")
    flow.add_routine(Flaky(), "flaky")
    flow.add_routine(Collect(), "collect")
    flow.connect("source", "out", "work", "input")
    flow.connect("work", "out", "flaky", "input")
    flow.connect("flaky", "out", "collect", "input")
    return flow


def main(argv: list[str]) -> int:
    command, store_path, effects = argv[1], argv[2], argv[3]
    _state["effects"] = effects
    from routilux import open_store

    store = _state["store"] = open_store(store_path)
    flow = build(store)
    if command == "run":
        _state["kill"] = argv[4]
        job = flow.execute("source", {"count": ITEMS})
        print(job.job_id, flush=True)
        JobState.wait_for_completion(flow, job, timeout=60)  # completed, or paused and quiet
        if _state["kill"] == "paused" and job.status == "paused":
            _die()
        store.flush(timeout=10)
        return 0
    if command == "recover":
        if len(argv) > 4:  # start together with another recoverer: wait for the go file
            while not os.path.exists(argv[4]):
                threading.Event().wait(0.001)
        jobs = flow.recover()
        print(len(jobs), flush=True)
        for job in jobs:
            if job.status == "paused":
                flow.resume(job)
            JobState.wait_for_completion(flow, job, timeout=60)
        store.flush(timeout=10)
        return 0
    raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
