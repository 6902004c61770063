"""What the monitor reads from a durable store: job pages, one job's view, the flows.

Every read goes through the store's public API (:class:`routilux.DurableStore`).
A job's :class:`~routilux_monitor.job_view.JobView` is kept between requests
and fed only the records it has not seen, and only when the job's row says
something was committed since (``updated_at``, one indexed row): a job that
does not change costs one small query per look, whatever its journal's size.

The monitor must not slow the jobs it shows, and reading and folding a record
costs about 10 µs, while a durable job of near-empty handlers commits about
90,000 records a second. So a look at an *unfinished* job folds at most a
*budget* of records (see :data:`STREAM_BUDGET`): a job that journals faster
than that is shown with its status and totals live (they are its row's) and
its log and per-routine counts catching up (``view.behind``); once the job is
final, its journal is folded to the end.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from routilux_monitor.graph import FlowGraph, flow_graph
from routilux_monitor.job_view import FINAL_STATUSES, JobView

T = TypeVar("T")

__all__ = ["DETAIL_BUDGET", "LISTING_BUDGET", "MAX_LIMIT", "STATUSES", "STREAM_BUDGET", "Cursor", "JobPage",
           "StoreReader", "job_row"]

#: The statuses a job listing can be filtered by.
STATUSES = ("pending", "running", "paused", "completed", "failed", "cancelled")
#: Most jobs one page lists.
MAX_LIMIT = 500
#: Job views kept between requests (the most recently used).
_VIEWS_KEPT = 256
#: Records one look of a live stream folds (every ``POLL_S``: at most ~3,000 records, ~3% of a core,
#: a second per open job; a job at 1,000 emits/s journals fewer and is followed without lag).
STREAM_BUDGET = 300
#: Records a job listing folds per unfinished job it shows (for the job's ``queued``).
LISTING_BUDGET = 100
#: Records the job page (and ``GET /api/jobs/{id}``) folds of an unfinished job.
DETAIL_BUDGET = 20_000
#: How many of the newest jobs are scanned for the flows they ran (the store has no flow listing
#: of its jobs; saved flows, ``store.list_flows()``, are always listed).
FLOW_SCAN = 500


class Cursor:
    """Where the next page of a listing starts: the ``created_at`` of the last job shown, and how
    many jobs of that same ``created_at`` were shown already (so that ties are neither skipped nor
    repeated). Written ``"<created_at>~<skip>"``, the float in ``repr`` form (exact)."""

    __slots__ = ("created_at", "skip")

    def __init__(self, created_at: float, skip: int) -> None:
        self.created_at = created_at
        self.skip = skip

    def __str__(self) -> str:
        return f"{self.created_at!r}~{self.skip}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        """The cursor ``text`` (as the ``next`` of a page gave it).

        Raises:
            ValueError: ``text`` is not such a cursor.
        """
        stamp, tilde, skip = text.partition("~")
        try:
            created_at, count = float(stamp), int(skip)
        except ValueError:
            created_at, count = math.nan, -1
        if not tilde or not math.isfinite(created_at) or count < 1:
            raise ValueError(f"bad cursor {text!r}: use the 'next' value of the previous page")
        return cls(created_at, count)


class JobPage:
    """One page of a job listing: the jobs (JSON-ready rows) and the cursor of the next page."""

    __slots__ = ("jobs", "next")

    def __init__(self, jobs: list[dict[str, Any]], next_cursor: Cursor | None) -> None:
        self.jobs = jobs
        self.next = next_cursor


def job_row(summary: Any, queued: int) -> dict[str, Any]:
    """A :class:`routilux.store.JobSummary` as the API's JOB object."""
    end = summary.finished_at if summary.finished_at is not None else summary.updated_at
    return {
        "job_id": summary.job_id,
        "flow_id": summary.flow_id,
        "status": summary.status,
        "started_at": summary.created_at,
        "updated_at": summary.updated_at,
        "duration": max(0.0, end - summary.created_at) if summary.created_at is not None else None,
        "done": summary.activations,
        "queued": queued,
        "errors": summary.errors,
    }


class _Entry:
    """A cached view, the row time it was fed up to, and the lock that makes one reader feed it."""

    __slots__ = ("view", "updated_at", "lock", "header")

    def __init__(self, view: JobView, header: Any) -> None:
        self.view = view
        self.header = header
        self.updated_at: float | None = None
        self.lock = threading.Lock()


class StoreReader:
    """The monitor's reads of ``store`` (a :class:`routilux.DurableStore`), safe from any thread.

    Args:
        store: the durable store the jobs are journaled in.
    """

    def __init__(self, store: Any) -> None:
        self.store = store
        self._views: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    # -- listings -------------------------------------------------------------------------------

    def jobs(self, *, status: str | None = None, flow_id: str | None = None, limit: int = 50,
             before: Cursor | None = None) -> JobPage:
        """Up to ``limit`` jobs, newest first, after ``before``; ``queued`` is 0 for a final job
        (its work ran or was dropped) and read from the journal for the others."""
        skip = before.skip if before is not None else 0
        older_than = math.nextafter(before.created_at, math.inf) if before is not None else None
        # ``skip`` more (the cursor's ties already shown, which come first: nothing is newer) and
        # one more than asked, to know whether a next page exists without a second query.
        summaries = self.store.summaries(status=status, flow_id=flow_id, limit=limit + skip + 1,
                                         older_than=older_than)
        if before is not None:
            shown = 0
            while (shown < skip and shown < len(summaries)
                   and summaries[shown].created_at == before.created_at):
                shown += 1
            summaries = summaries[shown:]
        page, more = summaries[:limit], len(summaries) > limit
        rows = [job_row(s, 0 if s.status in FINAL_STATUSES else self._queued(s)) for s in page]
        next_cursor = None
        if more and page:
            last = page[-1].created_at
            ties = sum(1 for s in page if s.created_at == last)
            if before is not None and before.created_at == last:
                ties += skip
            next_cursor = Cursor(last, ties)
        return JobPage(rows, next_cursor)

    def _queued(self, summary: Any) -> int:
        try:
            return self.read(summary.job_id, lambda view: view.queued, summary, LISTING_BUDGET)
        except KeyError:  # pruned since it was listed
            return 0

    def flow_ids(self) -> list[str]:
        """The saved flows and the flows of the newest :data:`FLOW_SCAN` jobs, sorted."""
        found = set(self.store.list_flows())
        found.update(s.flow_id for s in self.store.summaries(limit=FLOW_SCAN))
        return sorted(found)

    def flows(self) -> list[FlowGraph]:
        """The graph of each flow of :meth:`flow_ids`: from its newest job's header (the definition
        that job ran), else from the saved flow."""
        graphs = []
        for flow_id in self.flow_ids():
            data = self._flow_data(flow_id)
            if data is not None:
                graphs.append(flow_graph({**data, "flow_id": flow_id}))
        return graphs

    def _flow_data(self, flow_id: str) -> dict[str, Any] | None:
        newest = self.store.summaries(flow_id=flow_id, limit=1)
        if newest:
            try:
                return dict(self.store.header(newest[0].job_id).flow_data)
            except KeyError:  # pruned between the two reads
                pass
        try:
            # Rebuilding a saved flow needs its routine classes importable; one that cannot be
            # rebuilt is left out rather than failing the page.
            return dict(self.store.load_flow(flow_id).serialize())
        except Exception:  # noqa: BLE001 - any failure of a plugin's deserialization
            return None

    # -- one job --------------------------------------------------------------------------------

    def summary(self, job_id: str) -> Any:
        """The job's row. Raises ``KeyError`` for a job the store does not hold."""
        return self.store.summary(job_id)

    def header(self, job_id: str) -> Any:
        """The job's header (kept with its view). Raises ``KeyError`` for an unknown job."""
        return self._entry(job_id).header

    def read(self, job_id: str, look: Callable[[JobView], T], summary: Any = None,
             budget: int | None = None) -> T:
        """``look(view)`` on the job's view fed with what the store has committed, with no other
        thread feeding it meanwhile.

        Args:
            job_id: the job.
            look: what to take from the view (called under the view's lock).
            summary: the job's row if the caller just read it (saves a query).
            budget: at most this many records are folded if the job is unfinished (None: all);
                the view then says ``behind`` when more were committed. A final job is folded
                to the end.

        Raises:
            KeyError: the store holds no such job.
        """
        summary = summary if summary is not None else self.store.summary(job_id)
        limit = None if summary.status in FINAL_STATUSES else budget
        entry = self._entry(job_id)
        view = entry.view
        with entry.lock:
            if view.behind or entry.updated_at != summary.updated_at:
                # Only the records after those the view has folded are read (and decoded).
                records = self.store.records(job_id, start=view.seen, limit=limit)
                view.feed(records)
                view.behind = limit is not None and len(records) == limit
                entry.updated_at = summary.updated_at
            return look(view)

    def _entry(self, job_id: str) -> _Entry:
        with self._lock:
            entry = self._views.get(job_id)
            if entry is not None:
                self._views.move_to_end(job_id)
                return entry
        header = self.store.header(job_id)  # KeyError for an unknown job
        routines = (header.flow_data or {}).get("routines") or {}
        # Its status comes from the journal's status records; a job's row starts "running".
        entry = _Entry(JobView(header.entry_id, [str(r) for r in routines]), header)
        with self._lock:
            entry = self._views.setdefault(job_id, entry)
            while len(self._views) > _VIEWS_KEPT:
                self._views.popitem(last=False)
        return entry

    def graph(self, job_id: str) -> FlowGraph:
        """The graph of the flow the job ran (its header's definition)."""
        header = self.header(job_id)
        return flow_graph({**header.flow_data, "flow_id": header.flow_id})
