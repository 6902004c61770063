"""Diagnosing the *other* ``routilux``: the distribution of that name on the package index.

The distribution called ``routilux`` on PyPI is another project (a later line of the 0.10
reference); this project's core is ``routilux-core``. Both install a top-level package
``routilux``. :func:`foreign_routilux_report` finds that distribution through
:mod:`importlib.metadata` and says what it did to this installation, without importing
``routilux`` (which may be the other project's code by then):

* installed into the directory of routilux-core's ``routilux`` package (both distributions'
  RECORD list the same files), after it: its files replaced routilux-core's, and
  ``import routilux`` runs the other project's code;
* installed there before routilux-core: routilux-core's files replaced its own, but its
  metadata still lists them, so uninstalling it deletes routilux-core's files;
* installed elsewhere on ``sys.path``: whichever directory comes first is imported (the
  report says which one is).

``routilux plugins`` prints the report on stderr.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

__all__ = ["FOREIGN_DISTRIBUTION", "foreign_routilux_report"]

#: The distribution name that belongs to the other project.
FOREIGN_DISTRIBUTION = "routilux"

_REPAIR = (
    "To repair: python -m pip uninstall routilux routilux-core, then install routilux-core and the "
    "routilux-* distributions you use again (from this project: python -m pip install "
    "./packages/routilux-core ...)."
)


def _loaded_package_dir() -> Path | None:
    """The directory ``import routilux`` uses (found without importing it if it is not imported)."""
    module = sys.modules.get("routilux")
    origin = getattr(module, "__file__", None) if module is not None else None
    if origin is None:
        try:
            spec = importlib.util.find_spec("routilux")
        except (ImportError, ValueError):
            return None
        origin = spec.origin if spec is not None else None
    return Path(origin).resolve().parent if origin else None


def _recorded_hash_matches(path: Path, recorded: Any) -> bool:
    """Whether ``path`` holds the bytes the distribution's RECORD lists (``sha256=<urlsafe b64>``)."""
    if recorded is None or getattr(recorded, "mode", None) != "sha256":
        return False
    try:
        digest = hashlib.sha256(path.read_bytes()).digest()
    except OSError:
        return False
    return bool(base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii") == recorded.value)


def _init_record(dist: Any) -> Any:
    """The RECORD entry of ``routilux/__init__.py`` in ``dist``, or None."""
    return next((f for f in dist.files or () if f.as_posix() == "routilux/__init__.py"), None)


def foreign_routilux_report() -> str | None:
    """What the installed ``routilux`` distribution (the other project) did here, or None if absent."""
    from importlib import metadata

    try:
        dist = metadata.distribution(FOREIGN_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None
    location = Path(str(dist.locate_file(""))).resolve()
    summary = (dist.metadata["Summary"] or "").strip()
    about = f" ({summary})" if summary else ""
    lines = [
        f"warning: the distribution 'routilux' {dist.version}{about} is installed in {location}. It is "
        f"another project that uses the name 'routilux' on the package index, not part of this one "
        f"(whose core is 'routilux-core'), and it also installs a top-level package 'routilux'."
    ]
    loaded = _loaded_package_dir()
    its_package = (location / "routilux").resolve()
    foreign_init = _init_record(dist)
    init_file = its_package / "__init__.py"
    try:
        core = metadata.distribution("routilux-core")
    except metadata.PackageNotFoundError:
        core = None
    core_init = _init_record(core) if core is not None else None
    shared = (
        core is not None and core_init is not None
        and Path(str(core.locate_file(core_init))).resolve() == init_file
    )
    if shared:  # both distributions list the very same files
        if foreign_init is not None and _recorded_hash_matches(init_file, foreign_init.hash):
            lines.append(
                f"It was installed over routilux-core: its files replaced routilux-core's in {its_package}, "
                f"so 'import routilux' now runs the other project's code, mixed with routilux-core "
                f"modules it does not have."
            )
        else:
            lines.append(
                f"routilux-core was installed over it: routilux-core's files replaced its own in "
                f"{its_package}, but its metadata still lists them, so 'pip uninstall routilux' would "
                f"delete routilux-core's files; modules of the other project may be left beside them."
            )
    elif loaded == its_package:
        lines.append(
            f"'import routilux' loads the other project's package, {its_package}: its directory comes "
            f"before routilux-core's on sys.path."
        )
    elif loaded is None:
        lines.append("No 'routilux' package can be imported at all.")
    else:
        lines.append(
            f"'import routilux' loads {loaded}; the other project's package is {its_package}, and "
            f"whichever directory comes first on sys.path is imported, so another interpreter, working "
            f"directory or PYTHONPATH can load the other project instead."
        )
    lines.append(_REPAIR)
    return "\n".join(lines)
