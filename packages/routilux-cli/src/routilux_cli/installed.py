"""What is installed, read straight from the distributions' metadata directories.

``routilux --help`` and ``routilux --version`` must start in well under 150 ms, and importing
:mod:`importlib.metadata` alone (email, zipfile, csv, ...) costs about 80 ms on a small machine.
This module answers the two questions those commands have, the version of a distribution and
the entry points of one group, by listing the ``*.dist-info`` / ``*.egg-info`` directories on
``sys.path`` and reading their ``entry_points.txt`` and ``METADATA`` files: about 2 ms.

It follows :mod:`importlib.metadata`'s rules for path-based distributions (what pip, venv and
editable installs create): ``sys.path`` is searched in order and the first directory of a
distribution (by normalized name) wins. Distributions served by custom finders (zip imports,
``find_distributions`` hooks) are not seen; nothing here needs them.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Iterator
from typing import NamedTuple

__all__ = ["EntryPointInfo", "distribution_version", "entry_points", "normalize"]

_SUFFIXES = (".dist-info", ".egg-info")


class EntryPointInfo(NamedTuple):
    """One entry point: ``name = value`` of ``group``, declared by ``distribution``."""

    name: str
    value: str
    group: str
    distribution: str
    version: str | None


class _Distribution(NamedTuple):
    name: str
    version: str | None
    path: str


def normalize(name: str) -> str:
    """The PEP 503 form of a distribution name: ``Routilux_Core`` -> ``routilux-core``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _split_dir_name(dir_name: str) -> tuple[str, str | None]:
    # PEP 376/427: "<name>-<version>.dist-info"; setuptools: "<name>[-<version>[-pyX.Y]].egg-info".
    stem = dir_name.rsplit(".", 1)[0]
    name, _, rest = stem.partition("-")
    version = rest.split("-", 1)[0] or None
    return name, version


def _distributions(paths: Iterable[str]) -> Iterator[_Distribution]:
    seen: set[str] = set()
    for entry in paths:
        try:
            listing = os.scandir(entry or ".")
        except OSError:  # a zip file, a missing directory, ...
            continue
        with listing:
            names = sorted(item.name for item in listing if item.name.endswith(_SUFFIXES))
        for dir_name in names:
            name, version = _split_dir_name(dir_name)
            key = normalize(name)
            if key in seen:
                continue
            seen.add(key)
            yield _Distribution(name, version, os.path.join(entry or ".", dir_name))


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return None


def _metadata_field(dist: _Distribution, field: str) -> str | None:
    for file_name in ("METADATA", "PKG-INFO"):
        text = _read(os.path.join(dist.path, file_name))
        if text is None:
            continue
        prefix = f"{field}:"
        for line in text.splitlines():
            if not line:  # the headers end at the first empty line
                break
            if line.startswith(prefix):
                return line[len(prefix):].strip()
    return None


def distribution_version(name: str, paths: Iterable[str] | None = None) -> str | None:
    """The version of the installed distribution ``name``, or None if it is not installed."""
    wanted = normalize(name)
    for dist in _distributions(sys.path if paths is None else paths):
        if normalize(dist.name) == wanted:
            return _metadata_field(dist, "Version") or dist.version
    return None


def _parse_entry_points(text: str, group: str) -> Iterator[tuple[str, str]]:
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1].strip()
            continue
        if current != group:
            continue
        name, sep, value = line.partition("=")
        if sep and name.strip() and value.strip():
            yield name.strip(), value.strip()


def entry_points(group: str, paths: Iterable[str] | None = None) -> list[EntryPointInfo]:
    """The entry points of ``group`` of every installed distribution, in ``sys.path`` order."""
    found: list[EntryPointInfo] = []
    marker = f"[{group}]"
    for dist in _distributions(sys.path if paths is None else paths):
        text = _read(os.path.join(dist.path, "entry_points.txt"))
        if text is None or marker not in text:
            continue
        version = _metadata_field(dist, "Version") or dist.version
        dist_name = _metadata_field(dist, "Name") or dist.name
        found.extend(EntryPointInfo(name, value, group, dist_name, version)
                     for name, value in _parse_entry_points(text, group))
    return found
