"""The ``routilux`` entry point of routilux-json-store: the ``json`` serializer and the ``file`` store."""

from __future__ import annotations

from routilux.plugins.hookspecs import hookimpl
from routilux.plugins.specs import SerializerSpec, StoreSpec
from routilux_json_store.codec import JSON_SERIALIZER
from routilux_json_store.store import Store


@hookimpl
def routilux_register_serializers() -> list[SerializerSpec]:
    return [JSON_SERIALIZER]


#: ``routilux.open_store("file:/some/dir")`` (or a directory path): a :class:`Store` of that directory.
FILE_STORE = StoreSpec(
    name="file",
    schemes=("file",),
    open=Store,
    description="a directory of flow and job snapshot files, one per object (no journal)",
)


@hookimpl
def routilux_register_stores() -> list[StoreSpec]:
    return [FILE_STORE]
