"""The contract base classes of ``routilux.testing``, run on core's executors and on fixture plugins,
and shown to fail on plugins that break their contract."""

from __future__ import annotations

import json
import types

import pytest

from routilux.plugins import SerializerSpec, hookimpl
from routilux.testing import (
    ExecutorPluginContract,
    RoutinePluginContract,
    SerializerPluginContract,
)

pytestmark = pytest.mark.usefixtures("plugin_env")  # conftest.py


class TestSequentialExecutorContract(ExecutorPluginContract):
    plugin = "routilux.engine.executors"
    executor = "sequential"
    ordered = True


class TestConcurrentExecutorContract(ExecutorPluginContract):
    plugin = "routilux.engine.executors"
    executor = "concurrent"


class TestFixtureExecutorContract(ExecutorPluginContract):
    plugin = "plugin_fixtures.good"
    executor = "fixture-threads"


class TestFixtureSerializerContract(SerializerPluginContract):
    plugin = "plugin_fixtures.good"
    serializer = "fixture-json"


class TestFixtureRoutineContract(RoutinePluginContract):
    plugin = "plugin_fixtures.routines"
    routines = ("Doubler",)


def lossy_json_plugin() -> types.SimpleNamespace:
    # Writes datetimes as plain strings, so they come back as str.
    spec = SerializerSpec(
        name="lossy",
        dumps=lambda obj: json.dumps(obj, default=str).encode(),
        loads=lambda data: json.loads(data),
        suffixes=(".lossy",),
    )
    return types.SimpleNamespace(__name__="lossy", routilux_register_serializers=hookimpl(lambda: [spec]))


def test_serializer_contract_catches_lost_datetimes() -> None:
    class Lossy(SerializerPluginContract):
        plugin = lossy_json_plugin()
        serializer = "lossy"

    Lossy().test_dumps_returns_bytes()
    with pytest.raises(AssertionError, match="serializer 'lossy' changed the data"):
        Lossy().test_round_trips_representative_payload()


def test_routine_contract_catches_classes_that_are_not_routines() -> None:
    class NotRoutines(RoutinePluginContract):
        plugin = "plugin_fixtures.good"

    NotRoutines().test_registers_routines()
    with pytest.raises(AssertionError, match="FixtureRoutine.*is not a subclass of routilux.Routine"):
        NotRoutines().test_routine_classes_are_routines()


def test_routine_contract_requires_the_listed_names() -> None:
    class Missing(RoutinePluginContract):
        plugin = "plugin_fixtures.routines"
        routines = ("Doubler", "Tripler")

    with pytest.raises(AssertionError, match=r"routines \['Tripler'\] are not provided"):
        Missing().test_registers_routines()


def test_executor_contract_requires_the_named_executor() -> None:
    class Misnamed(ExecutorPluginContract):
        plugin = "plugin_fixtures.good"
        executor = "threads"

    with pytest.raises(AssertionError):
        Misnamed().test_executor_is_registered()


class DroppingExecutor:
    """Loses every activation after the first ``keep``: jobs never finish."""

    def __init__(self, max_workers: int = 1, **_options: object) -> None:
        self.runner = None
        self.keep = 1

    def start(self, runner) -> None:
        self.runner = runner

    def submit(self, activation) -> None:
        if self.keep:
            self.keep -= 1
            self.runner.run(activation)

    def shutdown(self, wait: bool = True) -> None:
        self.keep = 0


def test_executor_contract_catches_lost_activations() -> None:
    from routilux.plugins import ExecutorSpec

    spec = ExecutorSpec(name="dropping", factory=DroppingExecutor)

    class Dropping(ExecutorPluginContract):
        plugin = types.SimpleNamespace(
            __name__="dropping", routilux_register_executors=hookimpl(lambda: [spec])
        )
        executor = "dropping"
        timeout = 0.5

    with pytest.raises(AssertionError, match="job did not finish within 0.5s"):
        Dropping().test_delivers_every_message()


def test_contract_classes_are_not_collected_by_themselves() -> None:
    for contract in (RoutinePluginContract, SerializerPluginContract, ExecutorPluginContract):
        assert not contract.__name__.startswith("Test")
        assert "__init__" not in vars(contract)
