"""The JSON API: job listings, one job, the flows, and the control actions (see the README).

Endpoints are plain functions, so Starlette runs them on its thread pool and
the store's blocking reads never hold up the event loop (nor the live streams).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from routilux_monitor.jsonify import DataResponse
from routilux_monitor.reader import DETAIL_BUDGET, MAX_LIMIT, STATUSES, Cursor, StoreReader, job_row

__all__ = ["ACTIONS", "BadRequest", "action_refusal", "job_detail", "listing_arguments", "routes"]

#: The control actions and the statuses each one is valid in.
ACTIONS: dict[str, tuple[str, ...]] = {
    "pause": ("pending", "running"),
    "resume": ("paused",),
    "cancel": ("pending", "running", "paused"),
}
DEFAULT_LIMIT = 50


class BadRequest(ValueError):
    """A query parameter with a value the listing does not take (the message says which are valid)."""


def _error(status: int, message: str) -> Response:
    return DataResponse({"error": message}, status_code=status)


def listing_arguments(request: Request) -> dict[str, Any]:
    """The ``status``, ``flow``, ``limit`` and ``before`` of a listing request, checked.

    Raises:
        BadRequest: a status, limit or cursor that is not valid (the message names the value).
    """
    query = request.query_params
    status = query.get("status") or None
    if status is not None and status not in STATUSES:
        raise BadRequest(f"unknown status {status!r}; valid statuses: {', '.join(STATUSES)}")
    limit_text = query.get("limit") or str(DEFAULT_LIMIT)
    try:
        limit = int(limit_text)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"bad limit {limit_text!r}; valid limits: an integer from 1 to {MAX_LIMIT}")
    before_text = query.get("before") or None
    try:
        before = Cursor.parse(before_text) if before_text is not None else None
    except ValueError as error:
        raise BadRequest(str(error)) from None
    return {"status": status, "flow_id": query.get("flow") or None, "limit": limit, "before": before}


def list_jobs(request: Request) -> Response:
    """``GET /api/jobs``: a page of jobs, newest first."""
    try:
        arguments = listing_arguments(request)
    except BadRequest as error:
        return _error(400, str(error))
    page = _reader(request).jobs(**arguments)
    return DataResponse({"jobs": page.jobs, "next": None if page.next is None else str(page.next)})


def job_detail(reader: StoreReader, job_id: str) -> dict[str, Any]:
    """Everything the API and the job page say of one job.

    Raises:
        KeyError: the store holds no such job.
    """
    summary = reader.summary(job_id)
    queued, snapshot = reader.read(job_id, lambda view: (view.queued, view.snapshot()), summary,
                                   DETAIL_BUDGET)
    graph = reader.graph(job_id)
    row = job_row(summary, queued)
    return {
        **row,
        "routines": snapshot["routines"],
        "connections": [[e.source, e.event, e.target, e.slot] for e in graph.edges],
        "events": snapshot["events"],
        "events_total": snapshot["events_total"],
        "outputs": snapshot["outputs"],
        "outputs_total": snapshot["outputs_total"],
        "routine_states": snapshot["routine_states"],
        "shared_data": snapshot["shared_data"],
        "behind": snapshot["behind"],
    }


def get_job(request: Request) -> Response:
    """``GET /api/jobs/{job_id}``: one job, with its routines, log, outputs and data."""
    job_id = request.path_params["job_id"]
    try:
        return DataResponse(job_detail(_reader(request), job_id))
    except KeyError:
        return _error(404, f"no job {job_id!r} in the store")


def action_refusal(summary: Any, action: str) -> str | None:
    """Why ``action`` cannot be asked of the job ``summary`` describes now, or None if it can."""
    valid = ACTIONS[action]
    if summary.status not in valid:
        return (f"cannot {action} job {summary.job_id!r}: its status is {summary.status!r}; "
                f"{action} is valid for a job that is {' or '.join(valid)}")
    if summary.owner is None or not summary.owner.is_alive():
        return (f"cannot {action} job {summary.job_id!r}: the process that ran it is gone; continue "
                f"it with 'routilux resume {summary.job_id} --store STORE'")
    return None


def act(request: Request, action: str) -> Response:
    """``POST /api/jobs/{job_id}/ACTION``: ask the job's owner, through the store, to act."""
    job_id = request.path_params["job_id"]
    reader = _reader(request)
    try:
        summary = reader.summary(job_id)
    except KeyError:
        return _error(404, f"no job {job_id!r} in the store")
    refusal = action_refusal(summary, action)
    if refusal is not None:
        return _error(409, refusal)
    try:
        reader.store.request(job_id, action)
    except KeyError:  # pruned since the row was read
        return _error(404, f"no job {job_id!r} in the store")
    return DataResponse({"job_id": job_id, "action": action, "requested": True}, status_code=202)


def list_flows(request: Request) -> Response:
    """``GET /api/flows``: the flows of the store and their routines and connections."""
    flows = []
    for graph in _reader(request).flows():
        described = graph.as_dict()
        flows.append({
            "flow_id": graph.flow_id,
            "routines": described["routines"],
            "connections": [[e.source, e.event, e.target, e.slot] for e in graph.edges],
        })
    return DataResponse({"flows": flows})


def _reader(request: Request) -> StoreReader:
    reader: StoreReader = request.app.state.reader
    return reader


def _action_endpoint(action: str) -> Any:
    def endpoint(request: Request) -> Response:
        return act(request, action)

    endpoint.__name__ = f"{action}_job"
    return endpoint


def routes() -> list[Route]:
    """The API's routes (the live stream's is :mod:`routilux_monitor.events`')."""
    return [
        Route("/api/jobs", list_jobs, methods=["GET"]),
        Route("/api/jobs/{job_id}", get_job, methods=["GET"]),
        *(Route(f"/api/jobs/{{job_id}}/{action}", _action_endpoint(action), methods=["POST"])
          for action in ACTIONS),
        Route("/api/flows", list_flows, methods=["GET"]),
    ]
