"""``GET /api/jobs/{job_id}/events``: a job's changes as Server-Sent Events, as they are committed.

The first message is the job's whole current state; each later one holds
what changed since the previous: the status and totals, every routine's
counts, the routine states and shared data, and only the *new* log events and
outputs (each carries its ``index`` in the job's log, so a client can tell it
has seen one). All messages are ``event: update`` with a JSON object.

The stream reads the job's row every :data:`POLL_S` seconds (one indexed row)
and the journal only when that row says something was committed, and only
the records it has not folded yet, at most :data:`~.reader.STREAM_BUDGET` a
look (the status and totals come from the row, so they stay live while a
fast job's log catches up): it never touches the engine of the job and
costs an idle job next to nothing. It ends once the job is final (after
sending its final state), when the client goes away, or when the job is
deleted from the store.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from anyio import to_thread
from sse_starlette import EventSourceResponse
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from routilux_monitor.job_view import FINAL_STATUSES, JobView
from routilux_monitor.jsonify import DataResponse, dumps
from routilux_monitor.reader import STREAM_BUDGET, StoreReader

__all__ = ["POLL_S", "job_events", "routes", "updates"]

#: How often a stream looks at its job's row.
POLL_S = 0.1
#: Seconds between keep-alive comments on a quiet stream.
PING_S = 15


def _message(view: JobView, summary: Any, events_from: int, outputs_from: int) -> dict[str, Any]:
    """The view's progress, its events/outputs from the given log indexes on, and the job's status
    and totals from its row (live even while the view catches up: see :mod:`.reader`)."""
    events = [event for event in view.events if event["index"] >= events_from]
    outputs = [output for output in view.outputs if output["index"] >= outputs_from]
    return {**view.progress(), "status": summary.status, "done": summary.activations,
            "errors": summary.errors, "events": events, "outputs": outputs,
            "events_total": view.events_total, "outputs_total": view.outputs_total}


def _read_since(reader: StoreReader, job_id: str, previous: dict[str, Any] | None,
                summary: Any) -> dict[str, Any]:
    """The next message: the view fed (within its budget) up to ``summary``, with what came after
    ``previous`` (None: everything)."""
    events_from = 0 if previous is None else previous["events_total"]
    outputs_from = 0 if previous is None else previous["outputs_total"]
    return reader.read(job_id, lambda view: _message(view, summary, events_from, outputs_from), summary,
                       STREAM_BUDGET)


async def updates(reader: StoreReader, job_id: str, poll_s: float = POLL_S) -> AsyncIterator[dict[str, Any]]:
    """The stream's messages (see the module docstring) as dicts, until the job is final or gone.

    Raises:
        KeyError: (before the first message) the store holds no such job.
    """
    summary = await to_thread.run_sync(reader.summary, job_id)
    message = await to_thread.run_sync(_read_since, reader, job_id, None, summary)
    yield message
    updated_at = summary.updated_at
    while summary.status not in FINAL_STATUSES:
        await asyncio.sleep(poll_s)
        try:
            summary = await to_thread.run_sync(reader.summary, job_id)
        except KeyError:  # pruned: nothing more will come
            return
        if summary.updated_at == updated_at and not message["behind"]:
            continue
        updated_at = summary.updated_at
        message = await to_thread.run_sync(_read_since, reader, job_id, message, summary)
        yield message


async def job_events(request: Request) -> Response:
    """The endpoint: 404 for an unknown job, else the event stream."""
    reader: StoreReader = request.app.state.reader
    job_id = request.path_params["job_id"]
    stream = updates(reader, job_id, request.app.state.poll_s)
    try:
        first = await stream.__anext__()
    except KeyError:
        return DataResponse({"error": f"no job {job_id!r} in the store"}, status_code=404)

    async def messages() -> AsyncIterator[dict[str, str]]:
        yield {"event": "update", "data": dumps(first)}
        async for message in stream:
            yield {"event": "update", "data": dumps(message)}

    # no-cache and no proxy buffering: each message must reach the page as it is sent.
    return EventSourceResponse(messages(), ping=PING_S, headers={"Cache-Control": "no-cache",
                                                                 "X-Accel-Buffering": "no"})


def routes() -> list[Route]:
    """The stream's route."""
    return [Route("/api/jobs/{job_id}/events", job_events, methods=["GET"])]
