"""routilux-json-store: the ``json`` serializer plugin and a file store for flows and jobs.

Installing the distribution registers the ``json`` format (entry point
``json = "routilux_json_store.plugin"``), which ``JobState.save(path)`` /
``JobState.load(path)`` then use for ``*.json`` files. :class:`Store` keeps
flows and job states in a directory, written atomically, under any id of
up to 200 characters (:mod:`routilux_json_store.names` gives their file names).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from routilux_json_store.codec import JSON_SERIALIZER, dumps, loads
from routilux_json_store.store import ID_FIELD, KINDS, Store

try:
    __version__ = version("routilux-json-store")
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["ID_FIELD", "JSON_SERIALIZER", "KINDS", "Store", "__version__", "dumps", "loads"]
