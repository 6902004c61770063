"""A directory of flows and job states, one file per object, written atomically."""

from __future__ import annotations

import builtins
import errno
import os
import stat
from pathlib import Path
from typing import Any, NoReturn

from routilux import Flow, JobState
from routilux.plugins.manager import PluginLookupError
from routilux.plugins.specs import SerializerSpec
from routilux.serialization import choose_serializer, read_data, write_data
from routilux_json_store.codec import JSON_SERIALIZER
from routilux_json_store.names import check_id, file_name, id_from_readable_name, is_hashed, previous_name

__all__ = ["ID_FIELD", "KINDS", "Store"]

#: What a store holds, and the ``_type`` each kind's files must have.
KINDS: dict[str, str] = {"flows": "Flow", "jobs": "JobState"}

#: The field, in every file the store writes, that holds the id the file was saved under. A long id
#: gets a hashed file name (see :mod:`routilux_json_store.names`): this is where listing finds it.
ID_FIELD = "_store_id"


class Store:
    """Flows and job states in ``directory``: ``<directory>/flows/<file>`` and ``<directory>/jobs/<file>``.

    ``serializer`` is the name of a registered serializer plugin (``"json"``,
    provided by this distribution, is the default) or a ``SerializerSpec``:
    swapping the storage format is this one argument. Ids may be any non-empty
    string of at most 200 characters; each gets a file name no id can turn into
    a path outside the directory (see :mod:`routilux_json_store.names`), and
    every file holds the id it was saved under. Every write goes to a temporary
    file that is fsynced and renamed over the old one, so a crash mid-write
    leaves the previous version intact.

    ``save_*`` return the file written. Raises:
        FileNotFoundError: ``load_*``/``delete_*`` of an id that is not stored.
        ValueError: an invalid id; a file that cannot be read back (truncated,
            corrupt, another kind of object, another id); in ``list_*``, a file
            whose name is no id's.
        TypeError/ValueError: ``save_*`` of data the serializer cannot encode
            (the message names the path to the value and its type).
        OSError: the file system is in the way, e.g. ``NotADirectoryError``
            when ``jobs/`` is a file, ``PermissionError``; the message names
            the store, the operation and the path. Nothing is silently
            treated as empty or absent.
    """

    def __init__(
        self, directory: str | os.PathLike[str], serializer: str | SerializerSpec = "json"
    ):
        self.directory = Path(directory)
        self.serializer = _serializer(serializer)
        self.suffix = self.serializer.suffixes[0] if self.serializer.suffixes else f".{self.serializer.name}"

    # -- generic -------------------------------------------------------------------------------

    def path(self, kind: str, object_id: str) -> Path:
        """The file that ``save`` writes for ``object_id`` of ``kind`` (``"flows"`` or ``"jobs"``)."""
        return self._kind_dir(kind) / file_name(check_id(object_id), self.suffix)

    def save(self, kind: str, object_id: str, data: dict[str, Any]) -> Path:
        """Store ``data`` (a ``serialize()`` dict of the kind's type) under ``object_id``."""
        expected = KINDS.get(kind)
        if not isinstance(data, dict) or data.get("_type") != expected:
            found = data.get("_type") if isinstance(data, dict) else None
            shown = repr(found) if type(found) in (str, type(None)) else type(found).__name__
            raise ValueError(f"{kind} hold {expected} data; got {type(data).__name__} with _type {shown:.80}")
        target = self.path(kind, object_id)
        action = f"cannot save {kind[:-1]} {object_id!r}"
        try:
            write_data(target, {**data, ID_FIELD: object_id}, self.serializer)
        except NotADirectoryError:
            self._not_a_directory(action, target.parent)
        except IsADirectoryError:
            raise self._not_a_file(action, target) from None
        except OSError as error:
            self._fail(action, error)
        previous = self._previous_path(kind, object_id)
        if previous is not None:  # the id now lives under its current name only
            try:
                previous.unlink()
            except FileNotFoundError:
                pass
            except OSError as error:
                self._fail(f"saved {kind[:-1]} {object_id!r}, but cannot remove its old file", error)
        return target

    def load(self, kind: str, object_id: str) -> dict[str, Any]:
        """The data stored under ``object_id``, checked to be of the kind's type and that id."""
        action = f"cannot load {kind[:-1]} {check_id(object_id)!r}"
        target = self._find(kind, object_id, action)
        if target is None:
            raise self._missing(kind, object_id)
        data = self._read(kind, target, action)
        expected = KINDS[kind]
        if not isinstance(data, dict) or data.get("_type") != expected:
            found = data.get("_type") if isinstance(data, dict) else type(data).__name__
            shown = repr(found) if type(found) is str else type(found).__name__
            raise ValueError(f"{target}: expected {expected} data, found {shown:.80}")
        stored = data.pop(ID_FIELD, None)
        if stored is None and is_hashed(target.name):
            raise ValueError(f"{target}: holds no {ID_FIELD!r} field, which a file with a hashed name must")
        if stored is not None and stored != object_id:
            shown = repr(stored) if type(stored) is str else type(stored).__name__
            raise ValueError(
                f"{target}: holds {kind[:-1]} {shown:.80}, not {object_id!r} (renamed by hand? on a "
                "case-insensitive file system, ids that differ only in case share one file)"
            )
        return data

    def list(self, kind: str) -> builtins.list[str]:
        """The ids stored for ``kind``, sorted; ``[]`` when nothing was saved yet.

        Files with other suffixes (another serializer's) and the temporary files of
        writes under way are not the store's and are passed over; any other entry
        with the store's suffix must be a file of this store, else this raises.
        """
        directory = self._kind_dir(kind)
        try:
            entries = list(os.scandir(directory))
        except FileNotFoundError:
            return []  # nothing saved yet (the directory is created by the first save)
        except NotADirectoryError:
            self._not_a_directory(f"cannot list {kind}", directory)
        except OSError as error:
            self._fail(f"cannot list {kind}", error, directory)
        ids = set()
        for entry in entries:
            name = entry.name
            if name.startswith(".") or not name.endswith(self.suffix):
                continue  # a temporary file (ids never start with "."), or not this format
            path = directory / name
            try:
                is_file = entry.is_file()
            except OSError as error:
                self._fail(f"cannot list {kind}", error, path)
            if not is_file:
                raise self._not_a_file(f"cannot list {kind}", path)
            ids.add(self._id_of(kind, path))
        return sorted(ids)

    def delete(self, kind: str, object_id: str) -> None:
        """Remove ``object_id``; ``FileNotFoundError`` if it is not stored."""
        action = f"cannot delete {kind[:-1]} {check_id(object_id)!r}"
        target = self._find(kind, object_id, action)
        if target is None:
            raise self._missing(kind, object_id)
        while target is not None:  # its current file, then one of the previous layout, if both exist
            try:
                target.unlink()
            except FileNotFoundError:
                pass  # deleted meanwhile
            except OSError as error:
                self._fail(action, error, target)
            target = self._find(kind, object_id, action)

    def exists(self, kind: str, object_id: str) -> bool:
        """Whether ``object_id`` is stored (an error, not False, when the store cannot be read)."""
        return self._find(kind, object_id, f"cannot look up {kind[:-1]} {check_id(object_id)!r}") is not None

    # -- flows -----------------------------------------------------------------------------------

    def save_flow(self, flow: Flow) -> Path:
        """Store ``flow``'s structure under its ``flow_id``."""
        return self.save("flows", flow.flow_id, flow.serialize())

    def load_flow(self, flow_id: str, flow: Flow | None = None) -> Flow:
        """A Flow rebuilt from the stored structure (into ``flow`` if given, else a new one).

        The module(s) defining the routine classes (decorated with
        ``register_serializable`` or provided by a routine plugin) and their
        handler functions must be imported first.
        """
        return (flow if flow is not None else Flow()).deserialize(self.load("flows", flow_id))

    def list_flows(self) -> builtins.list[str]:
        return self.list("flows")

    def delete_flow(self, flow_id: str) -> None:
        self.delete("flows", flow_id)

    # -- jobs -------------------------------------------------------------------------------------

    def save_job(self, job: JobState) -> Path:
        """Store ``job`` (with the pending activations of a paused job) under its ``job_id``."""
        return self.save("jobs", job.job_id, job.serialize())

    def load_job(self, job_id: str) -> JobState:
        """The stored job; a paused one is resumed with ``flow.resume(job)``."""
        return JobState().deserialize(self.load("jobs", job_id))

    def list_jobs(self) -> builtins.list[str]:
        return self.list("jobs")

    def delete_job(self, job_id: str) -> None:
        self.delete("jobs", job_id)

    # -- internals --------------------------------------------------------------------------------

    def _kind_dir(self, kind: str) -> Path:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; a store holds {sorted(KINDS)}")
        return self.directory / kind

    def _previous_path(self, kind: str, object_id: str) -> Path | None:
        name = previous_name(check_id(object_id), self.suffix)
        return None if name is None else self._kind_dir(kind) / name

    def _find(self, kind: str, object_id: str, action: str) -> Path | None:
        """The existing file of ``object_id`` (current name, else the previous layout's), or None."""
        for candidate in (self.path(kind, object_id), self._previous_path(kind, object_id)):
            if candidate is None:
                continue
            try:
                mode = os.stat(candidate).st_mode
            except FileNotFoundError:
                if os.path.lexists(candidate):
                    raise self._not_a_file(action, candidate) from None
                continue
            except NotADirectoryError:
                self._not_a_directory(action, candidate.parent)
            except OSError as error:
                self._fail(action, error, candidate)
            if not stat.S_ISREG(mode):
                raise self._not_a_file(action, candidate)
            return candidate
        return None

    def _read(self, kind: str, path: Path, action: str) -> Any:
        try:
            return read_data(path, self.serializer)
        except FileNotFoundError:
            raise FileNotFoundError(f"{self!r}: {action}: {path} was deleted meanwhile") from None
        except OSError as error:
            self._fail(action, error, path)

    def _id_of(self, kind: str, path: Path) -> str:
        """The id stored in the file ``path`` of ``kind``; ValueError if it is not one of ours."""
        name = path.name
        if not is_hashed(name):
            object_id = id_from_readable_name(name, self.suffix)
            if object_id is None:
                raise ValueError(
                    f"{self!r}: {path} is not a file this store writes: its name is not the name of "
                    "any id; rename it (ids are percent-encoded) or move it out of the store"
                )
            return object_id
        data = self._read(kind, path, f"cannot list {kind}")
        stored = data.get(ID_FIELD) if isinstance(data, dict) else None
        if not isinstance(stored, str) or not stored or file_name(stored, self.suffix) != name:
            shown = repr(stored) if type(stored) is str else type(stored).__name__
            raise ValueError(
                f"{self!r}: {path} has a hashed name, so its {ID_FIELD!r} field must hold the id "
                f"whose name that is; it holds {shown:.80}"
            )
        return stored

    def _missing(self, kind: str, object_id: str) -> FileNotFoundError:
        return FileNotFoundError(
            f"no {kind[:-1]} {object_id!r} in {self.directory} (no file {self.path(kind, object_id)})"
        )

    def _fail(self, action: str, error: OSError, path: Path | None = None) -> NoReturn:
        """Re-raise ``error`` (same class) with the store, the action and the path in its message."""
        where = path if path is not None else error.filename
        reason = error.strerror or type(error).__name__
        message = f"{self!r}: {action}: {reason}" + (f" ({where})" if where is not None else "")
        raise (OSError(error.errno, message) if error.errno is not None else type(error)(message)) from error

    def _not_a_directory(self, action: str, directory: Path) -> NoReturn:
        # The first path, from ``directory`` up, that exists is the one in the way.
        blocker = next((p for p in (directory, *directory.parents) if os.path.lexists(p)), directory)
        raise NotADirectoryError(
            errno.ENOTDIR,
            f"{self!r}: {action}: expected a directory at {blocker}, found {_what_is(blocker)}",
        )

    def _not_a_file(self, action: str, path: Path) -> OSError:
        if os.path.isdir(path):
            code = errno.EISDIR
        elif os.path.islink(path) and not os.path.exists(path):
            code = errno.ENOENT
        else:
            code = errno.EINVAL
        return OSError(code, f"{self!r}: {action}: expected a file at {path}, found {_what_is(path)}")

    def __repr__(self) -> str:
        return f"Store({str(self.directory)!r}, serializer={self.serializer.name!r})"


def _what_is(path: Path) -> str:
    """What is at ``path``, in words (for messages)."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return "nothing"
    if stat.S_ISLNK(mode):
        if not os.path.exists(path):
            return "a symbolic link to nothing"
        return "a symbolic link to " + _what_is(Path(os.path.realpath(path)))
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISREG(mode):
        return "a file"
    return "a special file (socket, pipe or device)"


def _serializer(serializer: str | SerializerSpec) -> SerializerSpec:
    if serializer == "json":
        try:
            return choose_serializer(serializer="json")
        except PluginLookupError:
            # Not registered (e.g. this package is importable but not installed): it is ours anyway.
            return JSON_SERIALIZER
    return choose_serializer(serializer=serializer)
