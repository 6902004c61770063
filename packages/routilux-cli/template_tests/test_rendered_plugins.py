"""The plugin template, proven: every kind is rendered, installed and tested like a user would.

For each kind, ``routilux plugin new KIND demo-KIND`` renders a distribution into a temporary
folder; a fresh virtual environment (``python -m venv``, nothing else in it) gets routilux-core
and routilux-cli from this checkout plus the rendered plugin, all installed as wheels with their
declared dependencies only; the plugin's own generated tests run there, and
``routilux plugins --json`` must list the plugin with status ``ok``.

One venv per kind keeps each plugin alone with core and the CLI. The wheels of this checkout and
of the dependencies (and hatchling, which builds the plugin) are made once into a wheelhouse and
installed with ``--no-index``, so the venvs see nothing else.

Run by ``tox -e template``; needs network access to the package index for that wheelhouse.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
CORE = REPO / "packages" / "routilux-core"
CLI = REPO / "packages" / "routilux-cli"
# routilux-cli journals jobs into routilux-sqlite-store, which uses routilux-json-store's serializer.
STORES = (REPO / "packages" / "routilux-json-store", REPO / "packages" / "routilux-sqlite-store")
KINDS = ("routine", "serializer", "executor", "store", "error-strategy")
# The registry's key for each kind, as in PluginRecord.provides.
PROVIDES_KIND = {"routine": "routine", "serializer": "serializer", "executor": "executor", "store": "store",
                 "error-strategy": "error_strategy"}
# The names `routilux plugin new KIND demo-KIND` registers (the naming rules: tests/test_plugin_new.py).
REGISTERED = {"routine": "DemoRoutine", "serializer": "demo-serializer", "executor": "demo-executor",
              "store": "demo-store", "error-strategy": "demo-error-strategy"}
PIP_TIMEOUT = 900
RUN_TIMEOUT = 300


def _run(argv: list[str], *, cwd: Path | None = None, timeout: float = RUN_TIMEOUT,
         env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                            check=False)
    assert result.returncode == 0, (
        f"{' '.join(map(str, argv))} exited with {result.returncode}\n"
        f"--- stdout\n{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-6000:]}"
    )
    return result


def _clean_env() -> dict[str, str]:
    """The environment for the venv's processes: no PYTHONPATH or plugin filters leaking in."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ROUTILUX_", "PYTHON", "VIRTUAL_ENV", "PYTEST_"))}
    env.update({"PYTHONDONTWRITEBYTECODE": "1", "PYTHONIOENCODING": "utf-8",
                "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    return env


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory,
               template_timings: dict[str, dict[str, float]]) -> Path:
    """Wheels of core, the stores and cli from this checkout, their dependencies, pytest and hatchling."""
    started = time.perf_counter()
    house = tmp_path_factory.mktemp("wheelhouse")
    sources = [str(CORE), *map(str, STORES), str(CLI)]
    _run([sys.executable, "-m", "pip", "wheel", "-q", "-w", str(house), *sources, "pytest>=7.4",
          "hatchling>=1.21"], timeout=PIP_TIMEOUT)
    names = {p.name.split("-")[0] for p in house.glob("*.whl")}
    assert {"routilux_core", "routilux_cli", "pytest", "hatchling"} <= names, sorted(names)
    template_timings["wheelhouse"] = {"total": time.perf_counter() - started}
    return house


@pytest.mark.parametrize("kind", KINDS)
def test_rendered_plugin_installs_passes_its_tests_and_is_listed(
    kind: str, wheelhouse: Path, tmp_path: Path, template_timings: dict[str, dict[str, float]]
) -> None:
    timing: dict[str, float] = {}
    started = time.perf_counter()
    project = tmp_path / f"routilux-demo-{kind}"

    _run([sys.executable, "-m", "routilux_cli", "plugin", "new", kind, f"demo-{kind}", "--dir", str(project)])
    timing["render"] = time.perf_counter() - started

    mark = time.perf_counter()
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    # The outer pip installs into the fresh venv (pip --python), so the venv needs no pip of its own.
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-index",
          "--find-links", str(wheelhouse), "routilux-core", "routilux-cli", "pytest>=7.4", str(project)],
         timeout=PIP_TIMEOUT, env={**_clean_env(), "PIP_NO_INPUT": "1"})
    timing["install"] = time.perf_counter() - mark

    mark = time.perf_counter()
    tests = _run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfEs"], cwd=project,
                 env=_clean_env())
    timing["tests"] = time.perf_counter() - mark
    summary = tests.stdout.strip().splitlines()[-1]
    passed = re.search(r"(\d+) passed", summary)
    assert passed and int(passed.group(1)) >= 3, tests.stdout
    assert not re.search(r"skipped|xfail|deselected|warnings? ", summary), summary

    mark = time.perf_counter()
    listed = _run([str(env_dir / "bin" / "routilux"), "plugins", "--json"], cwd=tmp_path, env=_clean_env())
    timing["plugins"] = time.perf_counter() - mark
    records = json.loads(listed.stdout)
    [record] = [r for r in records if r["distribution"] == f"routilux-demo-{kind}"]
    assert record["status"] == "ok", record
    assert record["entry_point"] == f"demo-{kind} = routilux_demo_{kind.replace('-', '_')}.plugin"
    assert f"{PROVIDES_KIND[kind]}:{REGISTERED[kind]}" in record["provides"], record
    assert [r["name"] for r in records if r["status"] != "ok"] == [], records

    timing["total"] = time.perf_counter() - started
    template_timings[kind] = timing
