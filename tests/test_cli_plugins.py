"""``routilux --version`` and ``routilux plugins [--json]`` (routilux-cli over core's registry).

Cross-package: the plugin fixtures are core's test plugins, in packages/routilux-core/tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import routilux
from routilux.testing import FakeEntryPoint, make_registry, use_registry
from routilux_cli import __version__ as cli_version
from routilux_cli.main import main

CORE_TESTS = Path(__file__).resolve().parent.parent / "packages" / "routilux-core" / "tests"


@pytest.fixture(autouse=True)
def _plugin_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(CORE_TESTS))
    for variable in ("ROUTILUX_LOAD_PLUGINS", "ROUTILUX_DISABLE_PLUGINS", "ROUTILUX_STRICT_PLUGINS"):
        monkeypatch.delenv(variable, raising=False)


def mixed_registry():
    return make_registry(
        "plugin_fixtures.good",
        builtins=("plugin_fixtures.fake_core",),
        entry_points=[
            FakeEntryPoint(
                "exploding", "plugin_fixtures.broken_import", distribution="routilux-boom", version="0.1"
            ),
            FakeEntryPoint("off", "plugin_fixtures.duplicate", distribution="routilux-off", version="3.0"),
        ],
    )


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])

    assert result.exit_code == 0
    assert result.output == f"routilux {routilux.__version__} (routilux-cli {cli_version})\n"


def test_plugins_json_lists_every_record(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTILUX_DISABLE_PLUGINS", "off")
    with pytest.warns(RuntimeWarning, match="routilux-boom"), use_registry(mixed_registry()):
        result = CliRunner().invoke(main, ["plugins", "--json"])

    assert result.exit_code == 0, result.output
    records = json.loads(result.output)
    assert [(r["name"], r["status"]) for r in records] == [
        ("plugin_fixtures.fake_core", "ok"),
        ("exploding", "error"),
        ("off", "disabled"),
        ("plugin_fixtures.good", "ok"),
    ]
    core, exploding, off, good = records
    assert core == {
        "name": "plugin_fixtures.fake_core",
        "distribution": "routilux-core",
        "version": routilux.__version__,
        "entry_point": None,
        "hooks": ["routilux_register_error_strategies", "routilux_register_executors"],
        "provides": ["error_strategy:stop", "executor:sequential"],
        "descriptions": {"error_strategy:stop": "", "executor:sequential": "core's"},
        "status": "ok",
        "error": None,
    }
    assert exploding["distribution"] == "routilux-boom" and exploding["version"] == "0.1"
    assert exploding["entry_point"] == "exploding = plugin_fixtures.broken_import"
    assert exploding["error"] == "RuntimeError: fixture plugin exploded at import"
    assert off["error"] == "listed in ROUTILUX_DISABLE_PLUGINS"
    assert "executor:fixture-threads" in good["provides"]


def test_plugins_text_output_shows_distribution_hooks_and_errors() -> None:
    with pytest.warns(RuntimeWarning), use_registry(mixed_registry()):
        result = CliRunner().invoke(main, ["plugins"])

    # "off" reuses the name "fixture-threads" of plugin_fixtures.good: listed, then reported.
    assert result.exit_code == 1
    assert "exploding [error]\n  distribution: routilux-boom 0.1\n" in result.output
    assert "  error:        RuntimeError: fixture plugin exploded at import\n" in result.output
    assert "plugin_fixtures.fake_core [ok]\n  distribution: routilux-core" in result.output
    assert (
        "  hooks:        routilux_register_error_strategies, routilux_register_executors\n" in result.output
    )
    assert "executor 'fixture-threads' is provided by routilux-off 3.0 and by plugin" in result.output


def test_plugins_reports_strict_mode_failure_as_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTILUX_STRICT_PLUGINS", "1")
    with use_registry(mixed_registry()):
        result = CliRunner().invoke(main, ["plugins", "--json"])

    assert result.exit_code == 1
    assert (
        "Error: routilux-boom 0.1 (entry point 'exploding = plugin_fixtures.broken_import')" in result.output
    )


def test_plugins_json_in_a_subprocess_with_installed_plugins(tmp_path: Path) -> None:
    from plugin_fixtures.installed import (
        BROKEN_PLUGIN_SOURCE,
        GOOD_PLUGIN_SOURCE,
        environment_with,
        install_plugin,
    )

    install_plugin(tmp_path, "routilux-probe", "1.0", "probe", GOOD_PLUGIN_SOURCE)
    install_plugin(tmp_path, "routilux-wreck", "0.2", "wreck", BROKEN_PLUGIN_SOURCE)

    result = subprocess.run(
        [sys.executable, "-m", "routilux_cli", "plugins", "--json"],
        env=environment_with(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    records = {record["name"]: record for record in json.loads(result.stdout)}
    assert records["probe"] == {
        "name": "probe",
        "distribution": "routilux-probe",
        "version": "1.0",
        "entry_point": "probe = routilux_probe",
        "hooks": ["routilux_register_executors"],
        "provides": ["executor:installed-inline"],
        "descriptions": {"executor:installed-inline": ""},
        "status": "ok",
        "error": None,
    }
    assert records["wreck"]["status"] == "error"
    assert records["wreck"]["error"] == "ImportError: installed plugin cannot import its backend"
    assert "RuntimeWarning" in result.stderr and "routilux-wreck 0.2" in result.stderr
    builtins = [record for record in records.values() if record["distribution"] == "routilux-core"]
    names = {record["name"] for record in builtins}
    assert names == {"routilux.engine.executors", "routilux.error_strategies"}
    assert {"executor:sequential", "executor:concurrent"} <= {p for r in builtins for p in r["provides"]}


def test_plugins_lists_the_installed_std_routines() -> None:
    """With routilux-std-routines installed, `routilux plugins` shows each routine it registers."""
    from routilux_std_routines.plugin import routilux_register_routines

    result = subprocess.run(
        [sys.executable, "-m", "routilux_cli", "plugins"], capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr
    assert "routilux-std-routines" in result.stdout
    names = [spec.name for spec in routilux_register_routines()]
    assert len(names) == 12
    for name in names:
        assert f"routine:{name}" in result.stdout
