"""The durable store the CLI journals jobs into, and reads them back from.

Where it is: ``--store PATH_OR_URL``, else the flow file's ``store:`` key (for
``run``; a relative path there is relative to the flow file), else
``$ROUTILUX_STORE``, else :data:`DEFAULT_STORE` (its directory is created on
first use). Opening it goes through :func:`routilux.open_store`, so any store
plugin's URL works; every way it can fail (no plugin for the scheme, a file
that is not SQLite, a store locked past its timeout, one that keeps no
journal) is one line on stderr and exit status 2.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from routilux_cli.commands import fail

__all__ = [
    "DEFAULT_STORE",
    "STORE_VARIABLE",
    "file_sha256",
    "open_store_or_exit",
    "store_exists",
    "store_location",
]

#: The environment variable naming the store when ``--store`` is not given.
STORE_VARIABLE = "ROUTILUX_STORE"
#: The store used when neither ``--store``, a flow file's ``store:`` nor ``$ROUTILUX_STORE`` names one.
DEFAULT_STORE = "~/.routilux/routilux.db"

# Schemes whose location is a file or directory path, so that ``~`` and relative paths mean one.
_PATH_SCHEMES = ("sqlite", "file")


def store_location(option: str | None, flow_store: str | None = None, flow_file: Path | None = None) -> str:
    """The store to use: ``option``, else ``flow_store`` (relative to ``flow_file``), else the environment's.

    Paths are made absolute (``~`` expanded), so the URL a job records is the same from any directory.
    """
    if option:
        return _absolute(option, Path.cwd())
    if flow_store:
        return _absolute(flow_store, flow_file.resolve().parent if flow_file is not None else Path.cwd())
    return _absolute(os.environ.get(STORE_VARIABLE) or DEFAULT_STORE, Path.cwd())


def _absolute(text: str, base: Path) -> str:
    from routilux.store import store_scheme

    scheme, location = store_scheme(text)
    if scheme not in _PATH_SCHEMES:
        return text
    path = base / Path(location).expanduser()
    has_scheme = text.lower().startswith(f"{scheme}:")
    return f"{scheme}://{path.as_posix()}" if has_scheme else str(path)


def _local_file(location: str) -> Path | None:
    """The file of an SQLite store at ``location`` (absolute, as :func:`store_location` gives it)."""
    from routilux.store import store_scheme

    scheme, path = store_scheme(location)
    return Path(path) if scheme == "sqlite" else None


def store_exists(location: str) -> bool:
    """False for an SQLite store whose file does not exist yet; True for any other store."""
    local = _local_file(location)
    return local is None or local.exists()


def open_store_or_exit(location: str, *, create: bool) -> Any:
    """The durable store at ``location``; on any failure one line on stderr and exit status 2.

    Args:
        location: a path or URL, as :func:`store_location` gives it.
        create: make the store (and the default store's directory) if it does not exist; a command
            that only reads jobs passes False, so a mistyped path creates nothing.
    """
    from routilux import DurableStore, open_store
    from routilux.store import StoreError

    local = _local_file(location)
    if create and local is not None and local == Path(DEFAULT_STORE).expanduser():
        try:
            local.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            fail(f"cannot create the directory of the store {local}: {error}")
    if not create and not store_exists(location):
        fail(f"no store at {local}: no job has been journaled there ('routilux run FLOW' creates it)")
    try:
        store = open_store(location)
    except StoreError as error:
        fail(str(error))  # it names the store and why
    except (ValueError, OSError) as error:
        fail(f"cannot open the store {location}: {error}")
    if not isinstance(store, DurableStore):
        fail(f"the store {location} keeps no job journal; use an SQLite store (a path ending .db)")
    return store


def file_sha256(path: Path) -> str:
    """The sha256 (hex) of the bytes of ``path``: what a job records of the flow file it was built from."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
