"""Helpers for the routilux-cli tests: run the CLI in a real subprocess.

No test touches the real ``~/.routilux``: every test runs with ``$ROUTILUX_STORE``
(the store ``routilux run`` journals into by default) in its own temporary
directory, and the subprocesses inherit it through :func:`cli_env`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parents[2]
EXAMPLES_DIR = REPO_ROOT / "examples"
CLI_TIMEOUT = 120


@pytest.fixture(autouse=True)
def job_store(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The store the test's runs journal into by default (``$ROUTILUX_STORE``), in a directory of its own."""
    store = tmp_path_factory.mktemp("store") / "routilux.db"
    monkeypatch.setenv("ROUTILUX_STORE", str(store))
    return store


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"COLUMNS": "200", "PYTHONIOENCODING": "utf-8", "PYTHONDONTWRITEBYTECODE": "1"})
    env.pop("ROUTILUX_LOAD_PLUGINS", None)
    env.update(extra or {})
    return env


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "routilux_cli", *args]


def run_cli(*args: str, cwd: Path | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``routilux ARGS`` in a subprocess and return its result (text, both streams captured)."""
    return subprocess.run(cli_command(*args), cwd=cwd, env=env or cli_env(), capture_output=True, text=True,
                          encoding="utf-8", timeout=CLI_TIMEOUT, check=False)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A temporary directory holding ``cli_fixtures.py``, for flow files that use its routines."""
    shutil.copy(TESTS_DIR / "cli_fixtures.py", tmp_path / "cli_fixtures.py")
    return tmp_path


@pytest.fixture(name="run_cli")
def run_cli_fixture():  # type: ignore[no-untyped-def]
    """``run_cli(*args, cwd=None, env=None)``: the CLI in a subprocess."""
    return run_cli


@pytest.fixture(name="cli_command")
def cli_command_fixture():  # type: ignore[no-untyped-def]
    """``cli_command(*args)``: the argv that runs the CLI (for Popen)."""
    return cli_command


@pytest.fixture(name="cli_env")
def cli_env_fixture():  # type: ignore[no-untyped-def]
    """``cli_env(extra=None)``: the environment the CLI runs with in these tests."""
    return cli_env


@pytest.fixture
def examples_dir() -> Path:
    if not EXAMPLES_DIR.is_dir():
        pytest.fail(f"the examples directory {EXAMPLES_DIR} is missing")
    return EXAMPLES_DIR


@pytest.fixture
def pipeline(examples_dir: Path) -> str:
    """The path of the text-pipeline example, a flow that completes at once."""
    return str(examples_dir / "text_pipeline.yaml")


GATE_FLOW = """
    flow_id: gate
    routines:
      src: {{type: FlowInput, config: {{each: items}}}}
      deliver:
        type: cli_fixtures:Deliver
        config: {{log: {log}, block_on: 1, release: {release}}}
      show: {{type: FlowOutput, config: {{output_type: delivered}}}}
    connections:
      - {{from: src.output, to: deliver.input}}
      - {{from: deliver.delivered, to: show.input}}
    entry: {{routine: src, params: {{items: [0, 1, 2, 3, 4, 5]}}}}
"""


def write_gate_flow(workdir: Path) -> tuple[Path, Path, Path]:
    """A flow whose item 1 prints ``deliver: waiting`` and blocks until the file ``release`` exists.

    Returns ``(flow file, delivery log, release file)``; ``workdir`` must hold ``cli_fixtures.py``.
    """
    log, release = workdir / "deliveries.txt", workdir / "release"
    flow = workdir / "gate.yaml"
    text = GATE_FLOW.format(log=json.dumps(str(log)), release=json.dumps(str(release)))
    flow.write_text(textwrap.dedent(text), encoding="utf-8")
    return flow, log, release


@pytest.fixture
def gate_flow() -> Callable[[Path], tuple[Path, Path, Path]]:
    """``gate_flow(workdir)``: writes the gate flow (see :func:`write_gate_flow`)."""
    return write_gate_flow
