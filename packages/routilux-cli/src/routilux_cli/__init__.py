"""routilux-cli: the ``routilux`` command and flow files.

* :mod:`routilux_cli.flowfile`: the flow-file format (YAML or JSON), loading,
  validation and writing a :class:`~routilux.Flow` back out.
* :mod:`routilux_cli.main`: the ``routilux`` click group (``run``, ``resume``,
  ``validate``, ``graph``, ``inspect``).
* :mod:`routilux_cli.routines`: ``FlowInput`` and ``FlowOutput``, registered as
  routine plugins so flow files can start a job and show its results.

``__version__`` is the installed distribution's version (``pyproject.toml`` is the one place it
is written), read from its metadata on first use, so importing the package reads no file.
"""

from __future__ import annotations

__all__ = ["__version__"]

#: The version of a source tree that is on ``sys.path`` without being installed.
_UNINSTALLED_VERSION = "0+unknown"

__version__: str


def __getattr__(name: str) -> str:
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from routilux_cli.installed import distribution_version

    version = distribution_version("routilux-cli") or _UNINSTALLED_VERSION
    globals()["__version__"] = version
    return version
