"""Output handlers (spec §13) and their use through JobState and Routine.send_output."""

from __future__ import annotations

import queue
from datetime import datetime
from typing import Any

import pytest

from routilux import (
    CallbackOutputHandler,
    Flow,
    JobState,
    NullOutputHandler,
    OutputHandler,
    QueueOutputHandler,
    Routine,
)


def test_output_handler_is_abstract() -> None:
    with pytest.raises(TypeError):
        OutputHandler()  # type: ignore[abstract]

    class Incomplete(OutputHandler):
        pass

    with pytest.raises(TypeError):
        Incomplete()  # type: ignore[abstract]


def test_subclass_implementing_handle() -> None:
    got: list[Any] = []

    class Mine(OutputHandler):
        def handle(
            self, job_id: str, routine_id: str, output_type: str, data: Any, timestamp: Any = None
        ) -> None:
            got.append((job_id, routine_id, output_type, data, timestamp))

    Mine().handle("j", "r", "t", {"a": 1})
    assert got == [("j", "r", "t", {"a": 1}, None)]


@pytest.mark.parametrize("cls", [QueueOutputHandler, CallbackOutputHandler, NullOutputHandler])
def test_builtins_are_output_handlers(cls: type) -> None:
    assert issubclass(cls, OutputHandler)


def test_queue_output_handler_with_timestamp() -> None:
    q: queue.Queue[Any] = queue.Queue()
    ts = datetime(2024, 5, 6, 7, 8, 9)
    QueueOutputHandler(q).handle("job", "r1", "result", {"v": 1}, ts)
    assert q.get_nowait() == {
        "job_id": "job",
        "routine_id": "r1",
        "output_type": "result",
        "data": {"v": 1},
        "timestamp": ts.isoformat(),
    }
    assert q.empty()


def test_queue_output_handler_without_timestamp_uses_now() -> None:
    q: queue.Queue[Any] = queue.Queue()
    before = datetime.now()
    QueueOutputHandler(q).handle(job_id="job", routine_id="r", output_type="t", data=[1])
    item = q.get_nowait()
    stamp = datetime.fromisoformat(item["timestamp"])
    assert before <= stamp <= datetime.now()
    assert item["data"] == [1]


def test_queue_output_handler_accepts_any_put_object() -> None:
    items: list[Any] = []

    class Sink:
        def put(self, item: Any) -> None:
            items.append(item)

    QueueOutputHandler(Sink()).handle("j", "r", "t", 1)
    assert len(items) == 1 and items[0]["data"] == 1


def test_callback_output_handler_positional_call() -> None:
    calls: list[Any] = []

    def callback(*args: Any, **kwargs: Any) -> None:
        calls.append((args, kwargs))

    ts = datetime(2024, 1, 1)
    CallbackOutputHandler(callback).handle("job", "r", "kind", {"x": 1}, ts)
    assert calls == [(("job", "r", "kind", {"x": 1}, ts), {})]


def test_callback_output_handler_default_timestamp_is_now() -> None:
    calls: list[Any] = []
    before = datetime.now()
    CallbackOutputHandler(lambda *a: calls.append(a)).handle("job", "r", "kind", None)
    ((job_id, rid, kind, data, ts),) = calls
    assert (job_id, rid, kind, data) == ("job", "r", "kind", None)
    assert isinstance(ts, datetime) and ts >= before


def test_null_output_handler_does_nothing() -> None:
    assert NullOutputHandler().handle("j", "r", "t", {"a": 1}) is None
    assert NullOutputHandler().handle("j", "r", "t", {"a": 1}, datetime.now()) is None


def test_job_state_delivers_to_queue_handler() -> None:
    q: queue.Queue[Any] = queue.Queue()
    job = JobState("f")
    job.set_output_handler(QueueOutputHandler(q))
    job.send_output("r1", "status", {"pct": 10})
    item = q.get_nowait()
    assert item["job_id"] == job.job_id
    assert (item["routine_id"], item["output_type"], item["data"]) == ("r1", "status", {"pct": 10})
    datetime.fromisoformat(item["timestamp"])


def test_job_state_delivers_to_callback_handler() -> None:
    calls: list[Any] = []
    job = JobState("f")
    job.set_output_handler(CallbackOutputHandler(lambda *a: calls.append(a)))
    job.send_output("r1", "status", {"pct": 10})
    ((job_id, rid, kind, data, ts),) = calls
    assert (job_id, rid, kind, data) == (job.job_id, "r1", "status", {"pct": 10})
    assert isinstance(ts, datetime)


def test_failing_callback_becomes_warning() -> None:
    def callback(*args: Any) -> None:
        raise ValueError("callback broken")

    job = JobState("f")
    job.set_output_handler(CallbackOutputHandler(callback))
    with pytest.warns(UserWarning, match="Output handler failed"):
        job.send_output("r", "t", {})
    assert len(job.output_log) == 1


def test_routine_send_output_inside_handler_reaches_job_handler() -> None:
    q: queue.Queue[Any] = queue.Queue()
    flow = Flow()
    r = Routine()
    r.define_slot("inp", handler=lambda value: r.send_output("progress", value=value, done=False))
    flow.add_routine(r, "worker")
    r._current_flow = flow
    job = JobState(flow.flow_id)
    job.set_output_handler(QueueOutputHandler(q))
    r.get_slot("inp").receive({"value": 3}, job_state=job)
    item = q.get_nowait()
    assert item["job_id"] == job.job_id
    assert item["routine_id"] == "worker"
    assert item["output_type"] == "progress"
    assert item["data"] == {"value": 3, "done": False}
    assert job.output_log[0]["data"] == {"value": 3, "done": False}


def test_handlers_attach_per_job() -> None:
    first: list[Any] = []
    second: list[Any] = []
    a, b = JobState("f"), JobState("f")
    a.set_output_handler(CallbackOutputHandler(lambda *args: first.append(args[3])))
    b.set_output_handler(CallbackOutputHandler(lambda *args: second.append(args[3])))
    a.send_output("r", "t", 1)
    b.send_output("r", "t", 2)
    assert first == [1] and second == [2]
