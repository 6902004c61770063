"""Which distribution provides a plugin that is not installed, so an error can say what to install.

The registry only knows the plugins that are installed; a flow file (or
``--executor``) naming one of the project's own plugin distributions that is
missing would otherwise get a bare "unknown executor 'dask'".
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["PROVIDERS", "install_hint"]

#: (plugin kind, plugin name) -> the distribution that registers it.
PROVIDERS: Mapping[tuple[str, str], str] = {
    ("executor", "dask"): "routilux-dask",
}


def install_hint(kind: str, name: str) -> str | None:
    """``"the executor 'dask' is provided by routilux-dask: pip install routilux-dask"``, or None.

    Args:
        kind: The plugin kind, as in the registry's error messages (``"executor"``).
        name: The name that was not found.
    """
    distribution = PROVIDERS.get((kind, name))
    if distribution is None:
        return None
    return (f"the {kind} {name!r} is provided by {distribution}, which is not installed: "
            f"pip install {distribution}")
