"""``import routilux`` imports no plugin and reads no entry point; the registry does, later."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.usefixtures("fixtures_on_path")  # conftest.py


@pytest.fixture
def site(tmp_path: Path) -> Path:
    from plugin_fixtures.installed import GOOD_PLUGIN_SOURCE, install_plugin

    install_plugin(tmp_path, "routilux-probe", "1.0", "probe", GOOD_PLUGIN_SOURCE)
    return tmp_path


def run_python(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    from plugin_fixtures.installed import environment_with

    return subprocess.run(
        [sys.executable, *args],
        env=environment_with(site),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_import_routilux_imports_no_plugin_module(site: Path) -> None:
    result = run_python(site, "-X", "importtime", "-c", "import routilux")

    imported = [line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line]
    assert "routilux" in imported, result.stderr[-2000:]
    plugin_modules = [name for name in imported if name.startswith("routilux_")]
    assert plugin_modules == []


def test_import_routilux_reads_no_entry_point(site: Path) -> None:
    script = (
        "import importlib.metadata as md, json\n"
        "calls = []\n"
        "def spy(real):\n"
        "    def wrapper(*args, **kwargs):\n"
        "        calls.append(real.__name__)\n"
        "        return real(*args, **kwargs)\n"
        "    return wrapper\n"
        "md.entry_points = spy(md.entry_points)\n"
        "md.distributions = spy(md.distributions)\n"
        "import routilux, routilux.plugins, routilux.testing, sys\n"
        "print(json.dumps({'calls': calls, 'probe': 'routilux_probe' in sys.modules}))\n"
    )

    assert json.loads(run_python(site, "-c", script).stdout) == {"calls": [], "probe": False}


def test_the_probe_plugin_is_found_once_the_registry_is_used(site: Path) -> None:
    # Control for the two tests above: the plugin is installed and discoverable.
    script = (
        "import sys, routilux.plugins as plugins\n"
        "registry = plugins.get_registry()\n"
        "assert 'routilux_probe' not in sys.modules\n"
        "print(registry.get_executor('installed-inline').name, 'routilux_probe' in sys.modules)\n"
    )

    assert run_python(site, "-c", script).stdout.split() == ["installed-inline", "True"]
