"""routilux-msgspec: the ``msgpack`` and ``msgspec-json`` serializer plugins, on msgspec.

Installing the distribution registers both formats (entry point
``msgspec = "routilux_msgspec.plugin"``). ``JobState.save(path)`` /
``JobState.load(path)`` then use ``msgpack`` for ``*.msgpack`` and ``*.mpk``
files and ``msgspec-json`` for ``*.msgspec.json`` files; stores take
``serializer="msgpack"``. Both keep every value the ``json`` serializer keeps.

The codecs are :mod:`routilux_msgspec.msgpack_codec` and
:mod:`routilux_msgspec.json_codec` (each with ``dumps(obj) -> bytes`` and
``loads(bytes)``, and the ``JOB_CODEC`` that ``JobState.save``/``load`` use,
see :mod:`routilux_msgspec.job_codec`); importing this package does not
import msgspec.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from routilux_msgspec.plugin import MSGPACK_SERIALIZER, MSGSPEC_JSON_SERIALIZER

try:
    __version__ = version("routilux-msgspec")
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["MSGPACK_SERIALIZER", "MSGSPEC_JSON_SERIALIZER", "__version__"]
