"""The environment of a timed child process: bytecode cached as for an installed wheel.

An installed wheel's modules are compiled once, at install time. A dev shell often sets
``PYTHONDONTWRITEBYTECODE``, and then every new process of an editable install compiles every
module it imports again (tens of milliseconds for routilux and its plugins), which a start-up
figure would wrongly count. Children started with :func:`child_env` write their caches to one
temporary ``PYTHONPYCACHEPREFIX`` (not into the source trees), removed when this process exits;
run one untimed child first so the timed ones find the caches written.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile

__all__ = ["child_env"]


@functools.cache
def _pycache() -> str:
    path = tempfile.mkdtemp(prefix="routilux-bench-pycache-")
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def child_env(**extra: str) -> dict[str, str]:
    """``os.environ`` with bytecode caching on (in a temporary prefix), plus ``extra``."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = _pycache()
    env.update(extra)
    return env
