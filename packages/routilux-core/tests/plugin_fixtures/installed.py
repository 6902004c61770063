"""Lay out a plugin distribution the way pip installs it, for tests that run ``python`` in a subprocess."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

GOOD_PLUGIN_SOURCE = """
from routilux.plugins import ExecutorSpec, hookimpl


class InlineExecutor:
    def __init__(self, max_workers=1, **options):
        self.runner = None

    def start(self, runner):
        self.runner = runner

    def submit(self, activation):
        self.runner.run(activation)

    def shutdown(self, wait=True):
        pass


@hookimpl
def routilux_register_executors():
    return [ExecutorSpec(name="installed-inline", factory=InlineExecutor)]
"""

BROKEN_PLUGIN_SOURCE = 'raise ImportError("installed plugin cannot import its backend")\n'


def install_plugin(site: Path, distribution: str, version: str, entry_point: str, source: str) -> str:
    """Write module ``<distribution with _>`` and its ``.dist-info`` (with a ``routilux`` entry
    point named ``entry_point``) into ``site``; return the module name."""
    module = distribution.replace("-", "_")
    (site / module).mkdir(parents=True)
    (site / module / "__init__.py").write_text(textwrap.dedent(source), encoding="utf-8")
    info = site / f"{module}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(f"[routilux]\n{entry_point} = {module}\n", encoding="utf-8")
    return module


def environment_with(site: Path) -> dict[str, str]:
    """The current environment with ``site`` first on PYTHONPATH and no plugin filters."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("ROUTILUX_LOAD_PLUGINS", "ROUTILUX_DISABLE_PLUGINS", "ROUTILUX_STRICT_PLUGINS")
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
    return env
