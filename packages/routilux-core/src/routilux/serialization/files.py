"""Files: atomic writes, and choosing a serializer plugin by name or by file suffix."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any, Union

from routilux.plugins.manager import PluginLookupError
from routilux.plugins.specs import SerializerSpec
from routilux.serialization.values import Unencodable, error_text, find_unencodable

__all__ = ["atomic_write_bytes", "choose_serializer", "decode_bytes", "read_bytes", "read_data", "write_data"]

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

    Raises:
        NotADirectoryError: a file is where the directory (or a parent) must be;
            the error's ``filename`` is that file.
        IsADirectoryError: ``path`` is a directory.
        OSError: any other failure (``PermissionError``, no space, ...), naming ``path``.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"atomic_write_bytes writes bytes, got {type(data).__name__}")
    target = Path(path)
    directory = target.parent
    _make_directory(directory)
    try:
        status = target.stat()
    except FileNotFoundError:
        mode = _NEW_FILE_MODE
    else:
        if stat.S_ISDIR(status.st_mode):
            raise IsADirectoryError(errno.EISDIR, "Is a directory, not a file", os.fspath(target))
        mode = status.st_mode & 0o7777
    # Imported on first write: the object model imports this module, and tempfile (with shutil,
    # random, bz2, lzma) would otherwise weigh on every import of routilux.
    import tempfile

    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as error:
        # Name the file being written, not the temporary file's random name the user never chose.
        raise OSError(
            error.errno, f"Cannot create a file in {directory}: {error.strerror}", os.fspath(target)
        ) from error
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


def _make_directory(directory: Path) -> None:
    """Create ``directory`` and its parents; ``NotADirectoryError`` naming the file in the way."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as error:
        # mkdir says "File exists" when the directory's own name is taken by a file, and "Not a
        # directory" naming the deepest path when a parent is one: name the file in the way.
        blocker = next((p for p in (directory, *directory.parents) if os.path.lexists(p)), directory)
        raise NotADirectoryError(
            errno.ENOTDIR, "Is a file where a directory is needed", os.fspath(blocker)
        ) from error


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
        f"install another routilux serializer plugin{registry.failure_note()}"
    )


def choose_serializer(
    path: PathLike | None = None, serializer: str | SerializerSpec | None = None, registry: Any = None
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
            raise TypeError(f"serializer must be a name or a SerializerSpec, got {type(serializer).__name__}")
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
    path: PathLike, data: Any, serializer: str | SerializerSpec | None = None
) -> SerializerSpec:
    """Encode ``data`` with the chosen serializer and write it atomically; returns the serializer used.

    Raises:
        TypeError/ValueError: the serializer cannot encode a value in ``data``
            (``TypeError`` when it raised one, i.e. a type it does not take).
            The message names the path to that value, like
            ``execution_history[12].data["x"]``, and its type, and runs no code
            of the value (so a raising ``__repr__`` cannot get in the way); the
            serializer's own error is the ``__cause__``. Nothing is written.
        OSError: see :func:`atomic_write_bytes`.
    """
    spec = choose_serializer(path, serializer)
    try:
        encoded = spec.dumps(data)
    except Exception as error:
        found = find_unencodable(data, spec.dumps, error)
        raise _encode_failure(path, spec, found) from found.error
    if not isinstance(encoded, (bytes, bytearray)):
        raise TypeError(f"serializer {spec.name!r}: dumps() returned {type(encoded).__name__}, not bytes")
    atomic_write_bytes(path, bytes(encoded))
    return spec


def _encode_failure(path: PathLike, spec: SerializerSpec, found: Unencodable) -> Exception:
    """The error for a serializer refusing ``found``: it names where in the data the value is.

    Built from the path and the value's type only, never from ``repr``/``str`` of
    the user's objects (which may raise). A ``TypeError`` when the serializer
    raised one (a type it cannot encode), else a ``ValueError``.
    """
    kind = TypeError if isinstance(found.error, TypeError) else ValueError
    return kind(
        f"cannot write {os.fspath(path)!r} with serializer {spec.name!r}: {found.where} is of type "
        f"{found.type_name}, which it cannot encode ({error_text(found.error)})"
    )


def read_data(path: PathLike, serializer: str | SerializerSpec | None = None) -> Any:
    """Read and decode ``path``.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        IsADirectoryError / NotADirectoryError / PermissionError: it is a
            directory, a parent of it is a file, or it may not be read (the
            message names the path and what was expected).
        ValueError: it cannot be decoded (truncated, corrupt, or not in the
            serializer's format).
    """
    raw = read_bytes(path)
    return decode_bytes(raw, path, choose_serializer(path, serializer))


def read_bytes(path: PathLike) -> bytes:
    """The content of ``path``; the errors of :func:`read_data` but ``ValueError``."""
    shown = os.fspath(path)
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"No such file: {shown!r}") from None
    except IsADirectoryError:
        raise IsADirectoryError(errno.EISDIR, "Is a directory; expected a file", shown) from None
    except NotADirectoryError:
        raise NotADirectoryError(
            errno.ENOTDIR, "A parent of this path is a file; expected a directory", shown
        ) from None
    except OSError as error:
        raise OSError(error.errno, f"Cannot read the file: {error.strerror}", shown) from error


def decode_bytes(raw: bytes, path: PathLike, spec: SerializerSpec) -> Any:
    """``spec.loads(raw)`` for the file ``path``.

    Raises:
        ValueError: ``raw`` cannot be decoded; the message names ``path`` and the serializer.
    """
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
