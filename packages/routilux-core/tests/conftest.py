"""Shared fixtures for routilux-core's tests.

Tests run with ``--import-mode=importlib`` (see tox.ini) and this directory has no ``__init__.py``,
so a test module cannot import a helper module of its own; what several modules share is offered
here as fixtures.
"""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
PLUGIN_VARIABLES = ("ROUTILUX_LOAD_PLUGINS", "ROUTILUX_DISABLE_PLUGINS", "ROUTILUX_STRICT_PLUGINS")


@pytest.fixture
def fixtures_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """This directory on ``sys.path``, so ``plugin_fixtures`` and ``engine_fixtures`` import."""
    monkeypatch.syspath_prepend(str(TESTS_DIR))


@pytest.fixture
def plugin_env(fixtures_on_path: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fixture packages importable and none of the ``ROUTILUX_*_PLUGINS`` variables set."""
    for variable in PLUGIN_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
