"""The ``routilux`` entry point of routilux-msgspec: the ``msgpack`` and ``msgspec-json`` serializers.

msgspec is imported on the first ``dumps``/``loads`` (or job codec call), not
when the plugin registers: building the registry (every ``routilux`` command
does) stays cheap. Each serializer's job codec (``JobState.save``/``load``'s
fast path, :mod:`routilux_msgspec.job_codec`) is registered with it.
"""

from __future__ import annotations

import importlib
from typing import Any

from routilux.plugins.hookspecs import hookimpl
from routilux.plugins.specs import SerializerSpec
from routilux.serialization import JobParts, JobSnapshot, register_job_codec


def msgpack_dumps(obj: Any) -> bytes:
    """``routilux_msgspec.msgpack_codec.dumps``, imported on first use."""
    from routilux_msgspec.msgpack_codec import dumps

    return dumps(obj)


def msgpack_loads(data: bytes) -> Any:
    """``routilux_msgspec.msgpack_codec.loads``, imported on first use."""
    from routilux_msgspec.msgpack_codec import loads

    return loads(data)


def json_dumps(obj: Any) -> bytes:
    """``routilux_msgspec.json_codec.dumps``, imported on first use."""
    from routilux_msgspec.json_codec import dumps

    return dumps(obj)


def json_loads(data: bytes) -> Any:
    """``routilux_msgspec.json_codec.loads``, imported on first use."""
    from routilux_msgspec.json_codec import loads

    return loads(data)


#: MessagePack: about 20% smaller than ``json`` files and several times faster.
MSGPACK_SERIALIZER = SerializerSpec(
    name="msgpack",
    dumps=msgpack_dumps,
    loads=msgpack_loads,
    suffixes=(".msgpack", ".mpk"),
    description="MessagePack via msgspec; tuples, sets, bytes, datetimes and enums round-trip",
)

#: The ``json`` serializer's format, encoded and decoded by msgspec.
MSGSPEC_JSON_SERIALIZER = SerializerSpec(
    name="msgspec-json",
    dumps=json_dumps,
    loads=json_loads,
    suffixes=(".msgspec.json",),
    description="the json serializer's format (same tags), encoded and decoded by msgspec",
)


class LazyJobCodec:
    """The ``JOB_CODEC`` of codec module ``module``, imported on first use.

    Args:
        module: ``"routilux_msgspec.msgpack_codec"`` or ``"routilux_msgspec.json_codec"``.
    """

    def __init__(self, module: str) -> None:
        self.module = module

    def _codec(self) -> Any:
        return importlib.import_module(self.module).JOB_CODEC

    def dump_job(self, snapshot: JobSnapshot) -> bytes | None:
        return self._codec().dump_job(snapshot)  # type: ignore[no-any-return]

    def load_job(self, raw: bytes) -> JobParts | None:
        return self._codec().load_job(raw)  # type: ignore[no-any-return]


register_job_codec(MSGPACK_SERIALIZER, LazyJobCodec("routilux_msgspec.msgpack_codec"))
register_job_codec(MSGSPEC_JSON_SERIALIZER, LazyJobCodec("routilux_msgspec.json_codec"))


@hookimpl
def routilux_register_serializers() -> list[SerializerSpec]:
    return [MSGPACK_SERIALIZER, MSGSPEC_JSON_SERIALIZER]
