"""Noticing the *other* ``routilux``: the distribution of that name on the package index.

The distribution called ``routilux`` on PyPI is another project (a later line
of the 0.10 reference), not this one, whose core is ``routilux-core``. Both
install a top-level package ``routilux``, so installing one into the same
directory overwrites the other's files: importing routilux then loads a mix of
both, and uninstalling either deletes files the other needs.

:func:`warn_if_foreign_distribution` runs when :mod:`routilux.plugins` is
imported (so whenever routilux is imported): one ``os.listdir`` of the directory that
holds this ``routilux`` package, looking for that distribution's metadata
folder. ``routilux plugins`` makes the thorough check (through
``importlib.metadata``, over every path entry).
"""

from __future__ import annotations

import os
import warnings

__all__ = [
    "FOREIGN_DISTRIBUTION",
    "ForeignDistributionWarning",
    "foreign_metadata_in",
    "warn_if_foreign_distribution",
]

#: The distribution name that belongs to the other project.
FOREIGN_DISTRIBUTION = "routilux"

_METADATA_SUFFIXES = (".dist-info", ".egg-info")


class ForeignDistributionWarning(RuntimeWarning):
    """The other project's ``routilux`` distribution is installed over (or under) routilux-core."""


def foreign_metadata_in(directory: str) -> list[tuple[str, str]]:
    """``(folder name, version)`` of each metadata folder of the distribution ``routilux`` in ``directory``.

    Metadata folders are named ``<name>-<version>.dist-info`` (or
    ``.egg-info``), the name with ``-`` written ``_``; ``routilux_core-...``
    is this project's and does not count.
    """
    try:
        entries = os.listdir(directory)
    except OSError:
        return []
    found = []
    for entry in entries:
        if not entry.endswith(_METADATA_SUFFIXES):
            continue
        name, dash, rest = entry.partition("-")
        if dash and name.lower() == FOREIGN_DISTRIBUTION:
            version = rest.rsplit(".", 1)[0].split("-py", 1)[0]
            found.append((entry, version))
    return sorted(found)


def warn_if_foreign_distribution() -> None:
    """Warn (:class:`ForeignDistributionWarning`) if the other ``routilux`` is installed beside us."""
    site = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    for folder, version in foreign_metadata_in(site):
        warnings.warn(
            f"the distribution 'routilux' {version} ({os.path.join(site, folder)}) is installed in the "
            f"directory that holds routilux-core's 'routilux' package. It is another project that uses the "
            f"name 'routilux' on the package index, not part of routilux-core, and it installs a 'routilux' "
            f"package too: the two overwrote each other's files, so importing routilux may load a mix of "
            f"both, and uninstalling it would delete routilux-core's files. To repair: pip uninstall "
            f"routilux routilux-core, then install routilux-core (and the routilux-* distributions you "
            f"use) again. 'routilux plugins' says more.",
            ForeignDistributionWarning,
            stacklevel=3,
        )
