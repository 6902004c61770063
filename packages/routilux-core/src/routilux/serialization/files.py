"""Files: atomic writes, and choosing a serializer plugin by name or by file suffix."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional, Union

from routilux.plugins.manager import PluginLookupError
from routilux.plugins.specs import SerializerSpec

__all__ = ["atomic_write_bytes", "choose_serializer", "read_data", "write_data"]

PathLike = Union[str, "os.PathLike[str]"]

#: The distribution that provides the default ("json") serializer.
JSON_DISTRIBUTION = "routilux-json-store"

_NEW_FILE_MODE = 0o644


def atomic_write_bytes(path: PathLike, data: bytes, *, fsync: bool = True) -> None:
    """Write ``data`` to ``path`` so that readers see the old content or the new, never a part.

    The bytes go to a temporary file in the same directory, which is flushed,
    fsynced and renamed over ``path`` (``os.replace`` is atomic on POSIX and
    Windows); the directory is fsynced too, so the rename survives a power
    loss. On any failure the temporary file is removed and ``path`` is left
    untouched. Parent directories are created. A new file gets mode 0644; an
    existing file keeps its mode.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"atomic_write_bytes writes bytes, got {type(data).__name__}")
    target = Path(path)
    directory = target.parent
    directory.mkdir(parents=True, exist_ok=True)
    try:
        mode = target.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = _NEW_FILE_MODE
    # Imported on first write: the object model imports this module, and tempfile (with shutil,
    # random, bz2, lzma) would otherwise weigh on every ``import routilux``.
    import tempfile

    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if fsync:
                os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
    if fsync:
        _fsync_directory(directory)


def _fsync_directory(directory: Path) -> None:
    flags = getattr(os, "O_DIRECTORY", None)
    if flags is None:  # Windows cannot open a directory; its rename is durable once done
        return
    try:
        fd = os.open(directory, os.O_RDONLY | flags)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on directories; the file itself is synced
    finally:
        os.close(fd)


def _no_serializer(registry: Any) -> PluginLookupError:
    return PluginLookupError(
        f"no serializer plugin is installed, so job states and flows cannot be written or read; install the "
        f"{JSON_DISTRIBUTION!r} distribution (pip install {JSON_DISTRIBUTION}) for the 'json' format, or "
        f"install another routilux serializer plugin{registry._failure_note()}"
    )


def choose_serializer(
    path: Optional[PathLike] = None, serializer: Union[str, SerializerSpec, None] = None, registry: Any = None
) -> SerializerSpec:
    """The serializer named ``serializer``, else the one registered for ``path``'s suffix.

    A path whose suffix no plugin claims falls back to ``"json"`` when that is
    installed (0.10 wrote job states as JSON whatever the file name).
    Raises ``PluginLookupError`` (a ``ValueError``) naming what to install.
    """
    if isinstance(serializer, SerializerSpec):
        return serializer
    if registry is None:
        from routilux.plugins import get_registry

        registry = get_registry()
    available = registry.serializers
    if serializer is not None:
        if not isinstance(serializer, str):
            raise TypeError(f"serializer must be a name or a SerializerSpec, got {serializer!r}")
        if not available:
            raise _no_serializer(registry)
        try:
            return registry.get_serializer(serializer)  # type: ignore[no-any-return]
        except PluginLookupError as error:
            if serializer == "json":
                raise PluginLookupError(f"{error}; install {JSON_DISTRIBUTION!r} for it") from None
            raise
    if not available:
        raise _no_serializer(registry)
    if path is not None:
        try:
            return registry.serializer_for_path(path)  # type: ignore[no-any-return]
        except PluginLookupError:
            if "json" not in available:
                raise
    return available["json"]  # type: ignore[no-any-return]


def write_data(
    path: PathLike, data: Any, serializer: Union[str, SerializerSpec, None] = None
) -> SerializerSpec:
    """Encode ``data`` with the chosen serializer and write it atomically; returns the serializer used."""
    spec = choose_serializer(path, serializer)
    encoded = spec.dumps(data)
    if not isinstance(encoded, (bytes, bytearray)):
        raise TypeError(f"serializer {spec.name!r}: dumps() returned {type(encoded).__name__}, not bytes")
    atomic_write_bytes(path, bytes(encoded))
    return spec


def read_data(path: PathLike, serializer: Union[str, SerializerSpec, None] = None) -> Any:
    """Read and decode ``path``. ``FileNotFoundError`` if it does not exist; ``ValueError`` if it
    cannot be decoded (truncated, corrupt, or not in the serializer's format)."""
    target = Path(path)
    if not target.is_file():
        raise FileNotFoundError(f"No such file: {os.fspath(path)!r}")
    spec = choose_serializer(path, serializer)
    raw = target.read_bytes()
    try:
        return spec.loads(raw)
    except RecursionError:
        raise ValueError(
            f"cannot read {os.fspath(path)!r} with serializer {spec.name!r}: data nested too deeply"
        ) from None
    except Exception as error:
        raise ValueError(
            f"cannot read {os.fspath(path)!r} with serializer {spec.name!r} (truncated or corrupt file?): "
            f"{type(error).__name__}: {error}"
        ) from error
