"""routilux's store plugin contract, run against the ``sqlite`` store in both durabilities and formats."""

from __future__ import annotations

from routilux.testing import DurableStorePluginContract


class TestSqliteStoreContract(DurableStorePluginContract):
    plugin = "routilux_sqlite_store.plugin"
    store = "sqlite"
    location = "store.db"


class TestSqliteStoreContractFullJson(DurableStorePluginContract):
    plugin = "routilux_sqlite_store.plugin"
    store = "sqlite"
    location = "store.sqlite"
    options = {"durability": "full", "serializer": "json"}
