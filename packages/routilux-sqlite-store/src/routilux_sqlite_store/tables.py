"""The base of the parts of :class:`~routilux_sqlite_store.store.SqliteStore`: what they share."""

from __future__ import annotations

from routilux_sqlite_store.codec import PayloadCodec
from routilux_sqlite_store.database import Database

__all__ = ["Tables"]


class Tables:
    """The callers' connection to the file and the codec of its payloads."""

    def __init__(self, database: Database, codec: PayloadCodec) -> None:
        self._database = database
        self._codec = codec

    def _missing(self, what: str, object_id: str) -> KeyError:
        return KeyError(f"no {what} {object_id!r} in {self._database.path}")
