"""routilux-sqlite-store: a durable store for routilux in one SQLite file (URL scheme ``sqlite``).

Installing the distribution registers the ``sqlite`` store (entry point
``sqlite = "routilux_sqlite_store.plugin"``), which ``routilux.open_store``
then opens for ``sqlite:///abs/path.db``, ``sqlite:rel.db``, ``x.db`` and
``x.sqlite``. :class:`SqliteStore` keeps flows, job snapshots and the journal
of every durable job, shared safely by several processes.
"""

from __future__ import annotations

from routilux_sqlite_store.database import WRITTEN_BY, __version__
from routilux_sqlite_store.plugin import SQLITE_STORE
from routilux_sqlite_store.schema import SCHEMA_VERSION
from routilux_sqlite_store.store import SqliteStore, open_sqlite_store

__all__ = ["SCHEMA_VERSION", "SQLITE_STORE", "WRITTEN_BY", "SqliteStore", "__version__", "open_sqlite_store"]
