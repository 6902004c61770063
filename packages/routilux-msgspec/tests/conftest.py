"""Shared helpers for routilux-msgspec's tests.

Tests run with ``--import-mode=importlib`` and this directory has no
``__init__.py``, so test modules cannot import a helper module; what they share
is offered here as fixtures.
"""

from __future__ import annotations

import datetime as dt
import enum
import importlib
from collections.abc import Callable
from typing import Any

import pytest

from routilux_msgspec import json_codec, msgpack_codec


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--require-siblings",
        action="store_true",
        help="fail, instead of skipping, the tests that need routilux-json-store or routilux-cli",
    )


@pytest.fixture(scope="session")
def sibling(pytestconfig: pytest.Config) -> Callable[[str], Any]:
    """``sibling("routilux_json_store")``: that module, or a skip when it is not installed
    (a failure instead with ``--require-siblings``, as the second run of tox env msgspec does)."""

    def load(module: str) -> Any:
        if pytestconfig.getoption("--require-siblings"):
            return importlib.import_module(module)
        return pytest.importorskip(module, reason=f"{module} is not installed (routilux-msgspec needs none)")

    return load


def typed(value: Any) -> Any:
    """``value`` as a comparable tree that also records every type, so ``1``, ``1.0`` and
    ``True``, a list and a tuple, a set and a frozenset, an enum member and its value, and two
    datetimes with the same instant but other offsets all differ."""
    kind = type(value)
    if kind in (list, tuple):
        return (kind.__name__, [typed(item) for item in value])
    if kind in (set, frozenset):
        return (kind.__name__, sorted(repr(typed(item)) for item in value))
    if kind is dict:
        return ("dict", sorted(((repr(typed(k)), typed(v)) for k, v in value.items()), key=lambda kv: kv[0]))
    if kind is float:
        return ("float", repr(value))  # tells -0.0 from 0.0, and NaN equals NaN
    if isinstance(value, enum.Enum):
        return (f"{kind.__module__}.{kind.__qualname__}", value.name)
    if isinstance(value, (dt.datetime, dt.time)):
        return (kind.__name__, value.isoformat())
    return (kind.__name__, value)


@pytest.fixture(scope="session")
def same() -> Callable[[Any, Any], None]:
    """``same(a, b)`` asserts that ``a`` and ``b`` are equal with the same types throughout."""

    def check(restored: Any, expected: Any) -> None:
        assert typed(restored) == typed(expected), f"{restored!r}\n!=\n{expected!r}"

    return check


@pytest.fixture(scope="session")
def as_typed() -> Callable[[Any], Any]:
    """:func:`typed`, for tests comparing two results with each other."""
    return typed


@pytest.fixture(params=["msgpack", "msgspec-json"])
def codec(request: pytest.FixtureRequest) -> Any:
    """Each codec module of the distribution (``dumps``/``loads``), by serializer name."""
    return {"msgpack": msgpack_codec, "msgspec-json": json_codec}[request.param]
