"""The live stream, ``GET /api/jobs/{id}/events``: the whole state first, then only what changed."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from starlette.testclient import TestClient


def updates(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    """The ``event: update`` messages of an SSE stream, decoded."""
    event = None
    for line in lines:
        if line.startswith("event:"):
            event = line.partition(":")[2].strip()
        elif line.startswith("data:") and event == "update":
            yield json.loads(line.partition(":")[2])


def test_a_finished_job_streams_its_whole_state_once_and_ends(
    client: TestClient, run_job: Callable[..., str]
) -> None:
    job_id = run_job([1, 2])
    with client.stream("GET", f"/api/jobs/{job_id}/events") as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        messages = list(updates(stream.iter_lines()))
    assert len(messages) == 1
    (whole,) = messages
    assert (whole["status"], whole["done"], whole["queued"]) == ("completed", 5, 0)
    assert [e["index"] for e in whole["events"]] == list(range(whole["events_total"]))
    assert sorted(o["data"]["item"] for o in whole["outputs"]) == [1, 2]


def test_a_running_job_streams_each_change_until_it_ends(
    client: TestClient, held_job: Callable[..., Any]
) -> None:
    held = held_job([1, 2, 3], hold_on=2)
    with client.stream("GET", f"/api/jobs/{held.job_id}/events") as stream:
        messages = updates(stream.iter_lines())
        first = next(messages)
        assert first["status"] == "running"
        assert first["routines"]["work"]["queued"] >= 1  # item 2 waits at the gate
        held.release()
        rest = list(messages)  # the stream ends by itself once the job is final
    assert rest and rest[-1]["status"] == "completed"
    assert (rest[-1]["done"], rest[-1]["queued"], rest[-1]["errors"]) == (7, 0, 0)
    # Each event and output is sent once, in log order, across all the messages.
    indexes = [e["index"] for m in [first, *rest] for e in m["events"]]
    assert indexes == list(range(rest[-1]["events_total"]))
    outputs = [o["index"] for m in [first, *rest] for o in m["outputs"]]
    assert outputs == list(range(3))


def test_a_fast_job_is_folded_within_a_budget_with_its_status_and_totals_live(
    client: TestClient, held_job: Callable[..., Any], monitor_store: Any,
    wait: Callable[..., None],
) -> None:
    from routilux_monitor.reader import STREAM_BUDGET

    items = list(range(STREAM_BUDGET))  # two records an item (work, sink): more than one look folds
    held = held_job(items, hold_on=items[-1])

    def all_but_the_held_item_done() -> bool:
        # The pool's other worker may still hold earlier items' sinks when the gate is reached.
        held.flow.store.flush()
        return bool(monitor_store.summary(held.job_id).activations == 2 * STREAM_BUDGET - 1)

    wait("every activation but the held item's to be journaled", all_but_the_held_item_done)
    with client.stream("GET", f"/api/jobs/{held.job_id}/events") as stream:
        messages = updates(stream.iter_lines())
        first = next(messages)
        folded = sum(counts["done"] for counts in first["routines"].values())
        # The row's totals are live; the view folded one budget of records and says it is behind.
        assert first["behind"] is True
        assert first["done"] >= 2 * STREAM_BUDGET - 1 > folded
        held.release()
        rest = list(messages)
    last = rest[-1]
    assert (last["status"], last["behind"], last["queued"]) == ("completed", False, 0)
    folded = sum(counts["done"] for counts in last["routines"].values())
    assert folded == last["done"] == 2 * STREAM_BUDGET + 1
    indexes = [e["index"] for m in [first, *rest] for e in m["events"]]
    assert indexes == list(range(last["events_total"]))
