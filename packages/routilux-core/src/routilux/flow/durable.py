"""A flow's store: where its jobs are journaled, and taking over its jobs after a crash.

A base class of :class:`~routilux.flow.Flow`; see the README's "Durable jobs".
"""

from __future__ import annotations

import os
from typing import Any

from routilux.engine.recovery import recover_jobs
from routilux.engine.runtime import Engine
from routilux.job_state import JobState
from routilux.store import DurableStore, open_store

__all__ = ["FlowStore"]


class FlowStore:
    """``store``, :meth:`set_store` and :meth:`recover` of :class:`~routilux.flow.Flow`."""

    flow_id: str
    _engine: Engine
    #: The durable store every job of this flow is journaled to (None: jobs live in memory only).
    store: Any = None
    _origin: tuple[str | None, str | None] = (None, None)

    def set_store(
        self, store: Any, *, flow_file: str | None = None, flow_file_hash: str | None = None
    ) -> None:
        """Journal every job of this flow to ``store`` from the next ``execute`` on (None: stop).

        ``store`` is a :class:`~routilux.store.DurableStore` or a URL or path
        for :func:`~routilux.open_store` (``"sqlite:///jobs.db"``, ``"jobs.db"``).
        ``flow_file``/``flow_file_hash`` record where the flow's definition came
        from, so that a recoverer can rebuild it and refuse a changed file.

        Raises:
            TypeError: ``store`` is a store that keeps no journal (a snapshot store).
            ValueError: no installed plugin handles the URL's scheme.
        """
        if isinstance(store, (str, os.PathLike)):
            store = open_store(store)
        if store is not None and not isinstance(store, DurableStore):
            raise TypeError(
                f"flow {self.flow_id!r}: {store!r} keeps no journal, so its jobs could not be recovered; "
                "use a durable store (for example routilux-sqlite-store's 'sqlite:///path.db')"
            )
        self.store = store
        self._origin = (flow_file, flow_file_hash)

    def recover(self, job_id: str | None = None) -> list[JobState]:
        """Take over this flow's unfinished jobs (or ``job_id``) whose process died, and run them on.

        See :mod:`routilux.engine.recovery` for the guarantee. Returns the
        recovered jobs (wait for them with ``JobState.wait_for_completion``).

        Raises:
            ValueError: the flow has no store, ``job_id`` is another flow's, or the flow's
                definition changed since the job started.
            KeyError: the store holds no such job.
        """
        if self.store is None:
            raise ValueError(f"flow {self.flow_id!r} has no store to recover jobs from; call set_store first")
        return recover_jobs(self, self._engine, self.store, job_id)
