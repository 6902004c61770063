"""Helpers for the routilux-cli tests: run the CLI in a real subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

import pytest

TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parents[2]
EXAMPLES_DIR = REPO_ROOT / "examples"
CLI_TIMEOUT = 120


def cli_env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = dict(os.environ)
    env.update({"COLUMNS": "200", "PYTHONIOENCODING": "utf-8", "PYTHONDONTWRITEBYTECODE": "1"})
    env.pop("ROUTILUX_LOAD_PLUGINS", None)
    env.update(extra or {})
    return env


def cli_command(*args: str) -> List[str]:
    return [sys.executable, "-m", "routilux_cli", *args]


def run_cli(*args: str, cwd: Optional[Path] = None,
            env: Optional[Dict[str, str]] = None) -> "subprocess.CompletedProcess[str]":
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
