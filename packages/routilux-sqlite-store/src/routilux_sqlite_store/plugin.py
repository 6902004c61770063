"""The ``routilux`` entry point of routilux-sqlite-store: registers the ``sqlite`` store."""

from __future__ import annotations

from routilux.plugins import StoreSpec, hookimpl
from routilux_sqlite_store.store import open_sqlite_store

#: The store this distribution provides (``routilux.open_store("sqlite:///path.db")``).
SQLITE_STORE = StoreSpec(
    name="sqlite",
    schemes=("sqlite",),
    open=open_sqlite_store,
    description="flows, job snapshots and durable job journals in one SQLite file (WAL, multi-process)",
)


@hookimpl
def routilux_register_stores() -> list[StoreSpec]:
    return [SQLITE_STORE]
