"""routilux-json-store: the ``json`` serializer plugin and a file store for flows and jobs.

Installing the distribution registers the ``json`` format (entry point
``json = "routilux_json_store.plugin"``), which ``JobState.save(path)`` /
``JobState.load(path)`` then use for ``*.json`` files. :class:`Store` keeps
flows and job states in a directory, written atomically.
"""

from routilux_json_store.codec import dumps, loads
from routilux_json_store.plugin import JSON_SERIALIZER
from routilux_json_store.store import KINDS, Store

__all__ = ["JSON_SERIALIZER", "KINDS", "Store", "dumps", "loads"]
