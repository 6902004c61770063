"""The ``routilux`` entry point of routilux-json-store: registers the ``json`` serializer."""

from __future__ import annotations

from typing import List

from routilux.plugins.hookspecs import hookimpl
from routilux.plugins.specs import SerializerSpec
from routilux_json_store import codec

#: The serializer this distribution provides (also usable without the plugin registry).
JSON_SERIALIZER = SerializerSpec(
    name="json",
    dumps=codec.dumps,
    loads=codec.loads,
    suffixes=(".json",),
    description="UTF-8 JSON, sorted keys; datetimes and enums round-trip",
)


@hookimpl
def routilux_register_serializers() -> List[SerializerSpec]:
    return [JSON_SERIALIZER]
