"""Shared fixtures for routilux-core's tests.

Tests run with ``--import-mode=importlib`` (see tox.ini) and this directory has no ``__init__.py``,
so a test module cannot import a helper module of its own at module level: what several modules
share is offered here as fixtures, or lives in ``engine_fixtures`` and is imported once
``fixtures_on_path`` has run.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from routilux.plugins import PluginRegistry
from routilux.testing import FakeEntryPoint, make_registry, use_registry

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


@pytest.fixture
def remote_registry(fixtures_on_path: None) -> Iterator[PluginRegistry]:
    """The process-wide registry for the test: core's built-ins and ``engine_fixtures.third_party``
    (the ``remote-thread`` executor, ...) found through a fake entry point."""
    entry = FakeEntryPoint("third-party", "engine_fixtures.third_party", distribution="routilux-third-party")
    registry = make_registry(entry_points=[entry])
    with use_registry(registry):
        yield registry
