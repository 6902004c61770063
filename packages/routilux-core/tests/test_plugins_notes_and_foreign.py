"""Plugin records carry each spec's description; ``failure_note`` names broken plugins; the other
project's ``routilux`` distribution is noticed at import."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import routilux
from routilux.plugins.foreign import ForeignDistributionWarning, foreign_metadata_in
from routilux.testing import FakeEntryPoint, make_registry

pytestmark = pytest.mark.usefixtures("plugin_env")  # conftest.py


def test_a_record_describes_each_name_it_provides() -> None:
    registry = make_registry(builtins=("plugin_fixtures.fake_core",), entry_points=[])

    (record,) = registry.plugins
    assert record.provides == ("error_strategy:stop", "executor:sequential")
    assert record.descriptions == ("", "core's")


def test_the_failure_note_names_the_broken_distribution() -> None:
    broken = FakeEntryPoint(
        "boom", "plugin_fixtures.broken_import", distribution="routilux-boom", version="0.1"
    )
    with pytest.warns(RuntimeWarning, match="routilux-boom"):
        registry = make_registry(builtins=(), entry_points=[broken])
        note = registry.failure_note()

    assert note == (
        ". Plugin 'boom' from routilux-boom 0.1 failed to load and may have provided it: "
        "RuntimeError: fixture plugin exploded at import."
    )
    assert make_registry(builtins=(), entry_points=[]).failure_note() == ""


def test_foreign_metadata_is_found_by_distribution_name(tmp_path: Path) -> None:
    names = ("routilux-0.13.0.dist-info", "Routilux-0.9-py3.11.egg-info", "routilux_core-0.10.0.dist-info",
             "routilux_json_store-0.10.0.dist-info", "routilux", "routilux-notes.txt")
    for name in names:
        (tmp_path / name).mkdir()

    assert foreign_metadata_in(str(tmp_path)) == [
        ("Routilux-0.9-py3.11.egg-info", "0.9"),
        ("routilux-0.13.0.dist-info", "0.13.0"),
    ]
    assert foreign_metadata_in(str(tmp_path / "missing")) == []


def import_routilux_from(site: Path) -> subprocess.CompletedProcess[str]:
    """``import routilux`` in a fresh interpreter that finds the package first in ``site``."""
    code = "import routilux, sys; print(routilux.__file__)"
    return subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": str(site), "PATH": ""},
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def site_with_core(tmp_path: Path) -> Path:
    """A directory holding a copy of this routilux package, as pip installs it."""
    shutil.copytree(Path(routilux.__file__).parent, tmp_path / "routilux",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "routilux_core-0.10.0.dist-info").mkdir()
    return tmp_path


def test_import_warns_when_the_other_routilux_is_installed_beside_it(site_with_core: Path) -> None:
    (site_with_core / "routilux-0.13.0.dist-info").mkdir()

    done = import_routilux_from(site_with_core)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(site_with_core / "routilux" / "__init__.py")
    assert f"{ForeignDistributionWarning.__name__}: the distribution 'routilux' 0.13.0" in done.stderr
    assert "the two overwrote each other's files" in done.stderr
    assert "pip uninstall routilux routilux-core" in done.stderr


def test_import_is_silent_without_it(site_with_core: Path) -> None:
    done = import_routilux_from(site_with_core)

    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
