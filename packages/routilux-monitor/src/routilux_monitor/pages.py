"""The server-rendered pages: jobs (``/``), one job (``/jobs/{id}``), flows (``/flows``).

Templates are Jinja2 with autoescape on, so every piece of job data is
escaped; the pages' scripts (``static/``) update them live and write job data
only through ``textContent``. Every asset ships in the package: no CDN.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from routilux_monitor.api import BadRequest, job_detail, listing_arguments
from routilux_monitor.jsonify import dumps
from routilux_monitor.reader import STATUSES, StoreReader

__all__ = ["routes", "templates"]

_HERE = Path(__file__).parent


def _when(stamp: float | None) -> str:
    """Epoch seconds as ``YYYY-MM-DD HH:MM:SS`` UTC (what the scripts show too)."""
    return "" if stamp is None else time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(stamp))


def _seconds(duration: float | None) -> str:
    return "" if duration is None else f"{duration:.1f} s"


def _pretty(value: Any) -> str:
    """Job data as indented JSON text, for a ``<pre>`` (escaped by the template)."""
    return dumps(value, indent=2, sort_keys=True, ensure_ascii=False, separators=(",", ": "))


def _compact(value: Any) -> str:
    """Job data as one line of JSON text, for a log line (escaped by the template)."""
    return dumps(value, sort_keys=True, ensure_ascii=False)


def templates() -> Jinja2Templates:
    """The pages' templates, autoescaped, with the filters they use."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_HERE / "templates"), autoescape=True, undefined=jinja2.StrictUndefined
    )
    environment.filters.update(when=_when, seconds=_seconds, pretty=_pretty, compact=_compact)
    return Jinja2Templates(env=environment)


def _reader(request: Request) -> StoreReader:
    reader: StoreReader = request.app.state.reader
    return reader


def _render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    renderer: Jinja2Templates = request.app.state.templates
    return renderer.TemplateResponse(request, name, context, status_code=status_code)


def jobs_page(request: Request) -> Response:
    """``/``: the jobs, newest first, filtered and paginated as ``/api/jobs`` is."""
    try:
        arguments = listing_arguments(request)
    except BadRequest as error:
        return _render(request, "error.html", 400, title="Bad request", message=str(error))
    reader = _reader(request)
    page = reader.jobs(**arguments)
    flows = reader.flow_ids()
    if arguments["flow_id"] and arguments["flow_id"] not in flows:
        flows.append(arguments["flow_id"])
    next_url = None
    if page.next is not None:
        query = {k: v for k, v in request.query_params.items() if k != "before"}
        next_url = str(request.url.replace_query_params(**query, before=str(page.next)))
    return _render(request, "jobs.html", jobs=page.jobs, statuses=STATUSES, flows=flows,
                   status=arguments["status"] or "", flow=arguments["flow_id"] or "",
                   limit=arguments["limit"], before=request.query_params.get("before") or "",
                   next_url=next_url)


def job_page(request: Request) -> Response:
    """``/jobs/{job_id}``: one job, complete from its journal, live while it runs."""
    job_id = request.path_params["job_id"]
    reader = _reader(request)
    try:
        job = job_detail(reader, job_id)
        graph = reader.graph(job_id)
    except KeyError:
        return _render(request, "error.html", 404, title="No such job",
                       message=f"The store holds no job {job_id!r}.")
    return _render(request, "job.html", job=job, graph=graph)


def flows_page(request: Request) -> Response:
    """``/flows``: the flows of the store and their graphs."""
    return _render(request, "flows.html", flows=_reader(request).flows())


def routes() -> list[Route | Mount]:
    """The pages' routes and the static assets."""
    return [
        Route("/", jobs_page, methods=["GET"]),
        Route("/jobs/{job_id}", job_page, methods=["GET"]),
        Route("/flows", flows_page, methods=["GET"]),
        Mount("/static", StaticFiles(directory=_HERE / "static"), name="static"),
    ]
