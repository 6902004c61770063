"""The contract base classes of ``routilux.testing``, run on core's executors and on fixture plugins,
and shown to fail on plugins that break their contract."""

from __future__ import annotations

import json
import types

import pytest

from routilux import ErrorHandler, Routine
from routilux.plugins import RoutineSpec, SerializerSpec, hookimpl
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


class TestSynchronousExecutorContract(ExecutorPluginContract):
    plugin = "routilux.engine.executors"
    executor = "synchronous"
    ordered = True


class TestFixtureExecutorContract(ExecutorPluginContract):
    plugin = "plugin_fixtures.good"
    executor = "fixture-threads"


class TestFixtureSerializerContract(SerializerPluginContract):
    plugin = "plugin_fixtures.good"
    serializer = "fixture-json"


class TestFixtureRoutineContract(RoutinePluginContract):
    plugin = "plugin_fixtures.routines"
    routines = ("Doubler",)
    flow_inputs = {"Doubler": {"data": {"value": 21}}}


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


class Raising(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.define_slot("input", self._fail)
        self.define_event("output", ["value"])

    def _fail(self, **payload: object) -> None:
        raise RuntimeError(f"cannot handle {payload!r}")


class Quiet(Routine):
    """Takes its input and emits nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list[dict[str, object]] = []
        self.define_slot("input", self._take)

    def _take(self, **payload: object) -> None:
        self.received.append(payload)


class QuietTrigger(Routine):
    """A trigger routine that emits nothing: only the job's own start record names it."""

    def __init__(self) -> None:
        super().__init__()
        self.define_slot("trigger", lambda **_params: None)


class Echo(Routine):
    """A trigger routine that emits its entry params."""

    def __init__(self) -> None:
        super().__init__()
        self.define_slot("trigger", self._echo)
        self.define_event("output")

    def _echo(self, **params: object) -> None:
        self.emit("output", **params)


class StopsOnError(Routine):
    """Fails under a "stop" handler of its own: the job fails."""

    def __init__(self) -> None:
        super().__init__()
        self.define_slot("input", self._fail)
        self.set_error_handler(ErrorHandler(strategy="stop"))

    def _fail(self, **_payload: object) -> None:
        raise ValueError("stop here")


def routine_plugin(*classes: type) -> types.SimpleNamespace:
    specs = [RoutineSpec(name=cls.__name__, cls=cls) for cls in classes]
    return types.SimpleNamespace(__name__="contract-routines",
                                 routilux_register_routines=hookimpl(lambda: specs))


def test_routine_contract_runs_the_routine_in_a_flow_and_catches_a_failing_handler() -> None:
    class Failing(RoutinePluginContract):
        plugin = routine_plugin(Raising)

    Failing().test_routine_classes_are_routines()
    failed = r"routine 'Raising' failed \(slot 'input', data \{\}\).*cannot handle"
    with pytest.raises(AssertionError, match=failed):
        Failing().test_routines_work_in_a_flow()


def test_routine_contract_catches_a_job_failed_by_the_routines_own_handler() -> None:
    class Stopping(RoutinePluginContract):
        plugin = routine_plugin(StopsOnError)

    with pytest.raises(AssertionError, match=r"routine 'StopsOnError' failed .*job 'failed'"):
        Stopping().test_routines_work_in_a_flow()


def test_routine_contract_requires_an_emit_unless_the_routine_is_a_sink() -> None:
    class Silent(RoutinePluginContract):
        plugin = routine_plugin(Quiet)
        flow_inputs = {"Quiet": {"data": {"value": 1}}}

    class Sink(RoutinePluginContract):
        plugin = routine_plugin(Quiet)
        flow_inputs = {"Quiet": {"data": {"value": 1}, "emits": False}}

    with pytest.raises(AssertionError, match=r"routine 'Quiet' emitted nothing"):
        Silent().test_routines_work_in_a_flow()
    Sink().test_routines_work_in_a_flow()


def test_routine_contract_runs_a_trigger_routine_as_the_entry() -> None:
    class Triggered(RoutinePluginContract):
        plugin = routine_plugin(Echo, QuietTrigger)
        flow_inputs = {"Echo": {"data": {"n": 1}}}

    # The entry's "start" record is the job's, not an emit: QuietTrigger still emitted nothing.
    with pytest.raises(AssertionError, match=r"1 routine\(s\).*\n.*routine 'QuietTrigger' emitted nothing"):
        Triggered().test_routines_work_in_a_flow()

    class EchoOnly(RoutinePluginContract):
        plugin = routine_plugin(Echo)

    EchoOnly().test_routines_work_in_a_flow()


def test_routine_contract_flow_inputs_are_checked() -> None:
    class UnknownRoutine(RoutinePluginContract):
        plugin = "plugin_fixtures.routines"
        flow_inputs = {"Doubler": {"data": {"value": 1}}, "Tripler": {}}

    class UnknownKey(RoutinePluginContract):
        plugin = "plugin_fixtures.routines"
        flow_inputs = {"Doubler": {"payload": {"value": 1}}}

    class MissingSlot(RoutinePluginContract):
        plugin = "plugin_fixtures.routines"
        flow_inputs = {"Doubler": {"slot": "values", "data": {"value": 1}}}

    unknown = r"flow_inputs names routines the plugin does not provide: \['Tripler'\]"
    with pytest.raises(AssertionError, match=unknown):
        UnknownRoutine().test_routines_work_in_a_flow()
    with pytest.raises(AssertionError, match=r"flow_inputs\['Doubler'\] has unknown keys \['payload'\]"):
        UnknownKey().test_routines_work_in_a_flow()
    with pytest.raises(AssertionError, match=r"routine 'Doubler' has no slot 'values'"):
        MissingSlot().test_routines_work_in_a_flow()


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
