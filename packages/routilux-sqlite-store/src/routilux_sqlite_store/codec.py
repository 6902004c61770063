"""Payloads to bytes and back, with the serializer plugin a store file was created with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from routilux.plugins import PluginLookupError, SerializerSpec
from routilux.serialization import choose_serializer
from routilux.serialization.values import error_text, find_unencodable
from routilux.store import StoreError

__all__ = ["PayloadCodec", "default_serializer"]


def default_serializer() -> str:
    """``"msgpack"`` when routilux-msgspec is installed (several times faster), else ``"json"``."""
    try:
        choose_serializer(serializer="msgpack")
    except PluginLookupError:
        return "json"
    return "msgpack"


def _resolve(name: str | SerializerSpec, path: Path) -> SerializerSpec:
    if isinstance(name, SerializerSpec):
        return name
    try:
        return choose_serializer(serializer=name)
    except PluginLookupError as error:
        raise StoreError(f"{path}: cannot use serializer {name!r}: {error}") from error


class PayloadCodec:
    """Encodes and decodes the payloads of one store file with serializer ``name`` (or that spec).

    Raises:
        StoreError: no installed plugin provides ``name``.
    """

    def __init__(self, name: str | SerializerSpec, path: Path) -> None:
        self.spec = _resolve(name, path)
        #: The serializer's ``dumps``, bound once: ``append`` calls it on the engine's threads.
        self.dumps = self.spec.dumps
        self.loads = self.spec.loads

    def encode(self, data: Any, what: str) -> bytes:
        """``data`` as bytes.

        Raises:
            TypeError/ValueError: the serializer refuses a value (see :meth:`refusal`).
        """
        try:
            return self.dumps(data)
        except Exception as error:
            raise self.refusal(data, error, what) from error

    def refusal(self, data: Any, error: Exception, what: str) -> Exception:
        """The error for ``dumps(data)`` having raised ``error``: it names the value's key path and
        type (running none of its code); a ``TypeError`` when the serializer raised one."""
        found = find_unencodable(data, self.dumps, error)
        kind = TypeError if isinstance(found.error, TypeError) else ValueError
        return kind(
            f"{what}: {found.where} is of type {found.type_name}, which serializer {self.spec.name!r} "
            f"cannot encode ({error_text(found.error)})"
        )

    def decode(self, blob: bytes, what: str, path: Path) -> Any:
        """The data of ``blob``; StoreError naming the file and ``what`` if it cannot be decoded."""
        try:
            return self.loads(bytes(blob))
        except Exception as error:
            raise StoreError(
                f"{path}: cannot decode {what} with serializer {self.spec.name!r} (corrupt row?): "
                f"{error_text(error)}"
            ) from error
