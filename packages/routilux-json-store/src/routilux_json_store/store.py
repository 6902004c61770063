"""A directory of flows and job states, one file per object, written atomically."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Union
from urllib.parse import quote, unquote

from routilux import Flow, JobState
from routilux.plugins.manager import PluginLookupError
from routilux.plugins.specs import SerializerSpec
from routilux.serialization import atomic_write_bytes, choose_serializer

__all__ = ["KINDS", "Store"]

#: What a store holds, and the ``_type`` each kind's files must have.
KINDS: Dict[str, str] = {"flows": "Flow", "jobs": "JobState"}

_MAX_ID_LENGTH = 200
# Temporary files of atomic_write_bytes start with "." (ids are quoted so no file of theirs does).
_TEMPORARY = re.compile(r"^\.")


class Store:
    """Flows and job states in ``directory``: ``<directory>/flows/<flow_id><suffix>`` and
    ``<directory>/jobs/<job_id><suffix>``.

    ``serializer`` is the name of a registered serializer plugin (``"json"``,
    provided by this distribution, is the default) or a ``SerializerSpec``:
    swapping the storage format is this one argument. Ids may be any non-empty
    string of at most 200 characters; they are percent-encoded into file names,
    so no id can name a path outside the directory. Every write goes to a
    temporary file that is fsynced and renamed over the old one, so a crash
    mid-write leaves the previous version intact.

    ``save_*`` return the file written; ``load_*`` raise ``FileNotFoundError``
    for an unknown id and ``ValueError``/``TypeError`` for a file that cannot
    be read back.
    """

    def __init__(
        self, directory: Union[str, "os.PathLike[str]"], serializer: Union[str, SerializerSpec] = "json"
    ):
        self.directory = Path(directory)
        self.serializer = _serializer(serializer)
        self.suffix = self.serializer.suffixes[0] if self.serializer.suffixes else f".{self.serializer.name}"

    # -- generic -------------------------------------------------------------------------------

    def path(self, kind: str, object_id: str) -> Path:
        """The file that holds ``object_id`` of ``kind`` (``"flows"`` or ``"jobs"``)."""
        return self._kind_dir(kind) / f"{_file_stem(object_id)}{self.suffix}"

    def save(self, kind: str, object_id: str, data: Dict[str, Any]) -> Path:
        """Store ``data`` (a ``serialize()`` dict of the kind's type) under ``object_id``."""
        expected = KINDS.get(kind)
        if not isinstance(data, dict) or data.get("_type") != expected:
            raise ValueError(
                f"{kind} hold {expected} data; got {type(data).__name__} with _type "
                f"{data.get('_type') if isinstance(data, dict) else None!r}"
            )
        target = self.path(kind, object_id)
        atomic_write_bytes(target, self.serializer.dumps(data))
        return target

    def load(self, kind: str, object_id: str) -> Dict[str, Any]:
        """The data stored under ``object_id``, checked to be of the kind's type."""
        target = self.path(kind, object_id)
        try:
            raw = target.read_bytes()
        except FileNotFoundError:
            raise FileNotFoundError(
                f"no {kind[:-1]} {object_id!r} in {self.directory} (no file {target})"
            ) from None
        try:
            data = self.serializer.loads(raw)
        except RecursionError:
            raise ValueError(f"{target}: data nested too deeply") from None
        except (ValueError, TypeError) as error:
            raise ValueError(
                f"{target}: cannot be read as {self.serializer.name!r} (truncated or corrupt?): {error}"
            ) from error
        expected = KINDS[kind]
        if not isinstance(data, dict) or data.get("_type") != expected:
            found = data.get("_type") if isinstance(data, dict) else type(data).__name__
            raise ValueError(f"{target}: expected {expected} data, found {found!r:.80}")
        return data

    def list(self, kind: str) -> List[str]:
        """The ids stored for ``kind``, sorted."""
        directory = self._kind_dir(kind)
        if not directory.is_dir():
            return []
        ids = []
        for entry in directory.iterdir():
            name = entry.name
            if _TEMPORARY.match(name) or not name.endswith(self.suffix) or not entry.is_file():
                continue
            ids.append(unquote(name[: -len(self.suffix)]))
        return sorted(ids)

    def delete(self, kind: str, object_id: str) -> None:
        """Remove ``object_id``; ``FileNotFoundError`` if it is not stored."""
        target = self.path(kind, object_id)
        try:
            target.unlink()
        except FileNotFoundError:
            raise FileNotFoundError(
                f"no {kind[:-1]} {object_id!r} in {self.directory} (no file {target})"
            ) from None

    def exists(self, kind: str, object_id: str) -> bool:
        return self.path(kind, object_id).is_file()

    # -- flows -----------------------------------------------------------------------------------

    def save_flow(self, flow: Flow) -> Path:
        """Store ``flow``'s structure under its ``flow_id``."""
        return self.save("flows", flow.flow_id, flow.serialize())

    def load_flow(self, flow_id: str, flow: Optional[Flow] = None) -> Flow:
        """A Flow rebuilt from the stored structure (into ``flow`` if given, else a new one).

        The module(s) defining the routine classes (decorated with
        ``register_serializable`` or provided by a routine plugin) and their
        handler functions must be imported first.
        """
        return (flow if flow is not None else Flow()).deserialize(self.load("flows", flow_id))

    def list_flows(self) -> List[str]:
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

    def list_jobs(self) -> List[str]:
        return self.list("jobs")

    def delete_job(self, job_id: str) -> None:
        self.delete("jobs", job_id)

    # -- internals --------------------------------------------------------------------------------

    def _kind_dir(self, kind: str) -> Path:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; a store holds {sorted(KINDS)}")
        return self.directory / kind

    def __repr__(self) -> str:
        return f"Store({str(self.directory)!r}, serializer={self.serializer.name!r})"


def _serializer(serializer: Union[str, SerializerSpec]) -> SerializerSpec:
    if serializer == "json":
        try:
            return choose_serializer(serializer="json")
        except PluginLookupError:
            # Not registered (e.g. this package is importable but not installed): it is ours anyway.
            from routilux_json_store.plugin import JSON_SERIALIZER

            return JSON_SERIALIZER
    return choose_serializer(serializer=serializer)


def _file_stem(object_id: Any) -> str:
    if not isinstance(object_id, str) or not object_id:
        raise ValueError(f"ids must be non-empty strings, got {object_id!r:.80}")
    if len(object_id) > _MAX_ID_LENGTH:
        raise ValueError(f"ids are at most {_MAX_ID_LENGTH} characters, got one of {len(object_id)}")
    # Everything but letters, digits and "-_." is percent-encoded (so "/", "\\" and NUL cannot
    # appear), and a leading "." too, so ids never make hidden files or "." / "..".
    stem = quote(object_id, safe="-_.")
    if stem.startswith("."):
        stem = "%2E" + stem[1:]
    return stem
