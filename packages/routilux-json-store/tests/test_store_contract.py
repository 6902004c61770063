"""routilux's store plugin contract, snapshot part, run against the ``file`` store."""

from __future__ import annotations

from routilux.testing import StorePluginContract


class TestFileStoreContract(StorePluginContract):
    plugin = "routilux_json_store.plugin"
    store = "file"
    location = "store"
