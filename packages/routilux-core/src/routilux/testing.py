"""Helpers for testing routilux plugins (and code that uses the plugin registry).

* :class:`FakeEntryPoint` stands in for an installed ``routilux`` entry point.
* :func:`make_registry` builds an isolated :class:`~routilux.plugins.PluginRegistry`
  from plugin modules and fake entry points, without touching what is installed.
* :func:`use_registry` installs a registry as the process-wide one for a block.
* :class:`RoutinePluginContract`, :class:`SerializerPluginContract` and
  :class:`ExecutorPluginContract` are pytest-style base classes: subclass one
  in a ``Test*`` class, set ``plugin`` (and the name to check) and the
  inherited ``test_*`` methods check the plugin against the contract of its
  kind::

      from routilux.testing import SerializerPluginContract

      class TestYamlSerializer(SerializerPluginContract):
          plugin = "routilux_yaml.plugin"     # module, object or import path
          serializer = "yaml"

The contract classes use plain ``assert`` and need nothing beyond routilux, so
importing this module does not import pytest.
"""

from __future__ import annotations

import datetime as _dt
import enum
import functools
import inspect
import threading
import types
from contextlib import contextmanager
from typing import Any, Callable, ClassVar, Iterable, Iterator, Optional, cast

from routilux.plugins.manager import (
    DEFAULT_PLUGINS,
    EntryPointLike,
    PluginRegistry,
    _import_target,
    set_registry,
)
from routilux.plugins.specs import PluginRecord

__all__ = [
    "ExecutorPluginContract",
    "FakeDistribution",
    "FakeEntryPoint",
    "RoutinePluginContract",
    "SerializerPluginContract",
    "make_registry",
    "use_registry",
]


class FakeDistribution:
    """The ``.dist`` of a :class:`FakeEntryPoint`: just a name and a version."""

    def __init__(self, name: str, version: Optional[str]) -> None:
        self.name = name
        self.version = version

    def __repr__(self) -> str:
        return f"FakeDistribution({self.name!r}, {self.version!r})"


class FakeEntryPoint:
    """An entry point of group ``routilux`` that is not installed anywhere.

    ``target`` says what :meth:`load` does:

    * a string ``"package.module"`` or ``"package.module:attribute"`` is
      imported, exactly like a real entry point (so a module raising at import
      raises from ``load()``);
    * a function, lambda or ``functools.partial`` is called with no arguments
      and its result is the plugin; make it raise to simulate an import error;
    * anything else (a module, a class, an instance) is returned as the plugin.

    ``distribution=None`` gives an entry point without a distribution.
    ``load_count`` counts the calls to :meth:`load`.
    """

    group = "routilux"

    def __init__(
        self,
        name: str,
        target: object,
        *,
        distribution: Optional[str] = "fake-dist",
        version: Optional[str] = "0.0",
        value: Optional[str] = None,
    ) -> None:
        self.name = name
        self.value = value if value is not None else _describe_target(target)
        self.dist = FakeDistribution(distribution, version) if distribution is not None else None
        self.load_count = 0
        self._target = target
        self._lock = threading.Lock()

    def load(self) -> Any:
        """Return the plugin, importing or calling ``target`` as described above."""
        with self._lock:
            self.load_count += 1
        target = self._target
        if isinstance(target, str):
            return _import_target(target)
        if _is_loader(target):
            return cast(Callable[[], Any], target)()
        return target

    def __repr__(self) -> str:
        return f"FakeEntryPoint({self.name!r}, value={self.value!r}, dist={self.dist!r})"


def _is_loader(target: object) -> bool:
    return inspect.isroutine(target) or isinstance(target, functools.partial)


def _describe_target(target: object) -> str:
    if isinstance(target, str):
        return target
    if isinstance(target, types.ModuleType):
        return target.__name__
    named = target if (_is_loader(target) or isinstance(target, type)) else type(target)
    module = getattr(named, "__module__", None) or "<unknown>"
    return f"{module}:{getattr(named, '__qualname__', repr(named))}"


def make_registry(
    *plugins: object,
    entry_points: Iterable[EntryPointLike] = (),
    builtins: Iterable[object] = DEFAULT_PLUGINS,
) -> PluginRegistry:
    """An isolated registry: ``builtins``, then ``plugins`` registered in code, and
    only the given ``entry_points`` (installed ones are never read).

    ``plugins`` are plugin objects or ``"module[:attr]"`` paths; a failing one
    raises :class:`~routilux.plugins.PluginError`. Pass ``builtins=()`` for a
    registry without core's executors and error strategies.
    """
    registry = PluginRegistry(builtins=builtins, entry_points=tuple(entry_points))
    for plugin in plugins:
        registry.register(plugin)
    return registry


@contextmanager
def use_registry(registry: PluginRegistry) -> Iterator[PluginRegistry]:
    """Make ``registry`` the process-wide registry inside the ``with`` block.

    The previous one (possibly none yet) is restored afterwards, also on errors.
    """
    previous = set_registry(registry)
    try:
        yield registry
    finally:
        set_registry(previous)


class _PluginContract:
    """Shared plumbing: the plugin under test registered in a registry of its own."""

    _plugin_record: PluginRecord

    #: The plugin under test: a module, an object with hookimpls, or a
    #: ``"module[:attr]"`` path (imported when the tests run, not at collection).
    plugin: ClassVar[object]

    def _registry(self, *, with_builtins: bool = False) -> PluginRegistry:
        """A registry holding the plugin (and, if asked, core's built-ins), no entry points."""
        plugin = type(self).plugin
        if isinstance(plugin, str):
            plugin = _import_target(plugin)
        builtins: tuple[object, ...] = ()
        if with_builtins:
            # A core module tested as a plugin must not be registered twice.
            own_name = getattr(plugin, "__name__", None)
            builtins = tuple(name for name in DEFAULT_PLUGINS if name != own_name)
        registry = PluginRegistry(builtins=builtins, discover=False)
        self._plugin_record = registry.register(plugin)
        return registry

    def _provided(self, kind: str) -> list[str]:
        """Names of ``kind`` the plugin registered in the last :meth:`_registry`."""
        prefix = f"{kind}:"
        return [key[len(prefix) :] for key in self._plugin_record.provides if key.startswith(prefix)]


class RoutinePluginContract(_PluginContract):
    """Contract for plugins implementing ``routilux_register_routines``.

    Set ``plugin``; optionally ``routines`` (names the plugin must provide).

    :meth:`test_routines_work_in_a_flow` runs every provided routine in a real flow: a routine
    with a ``trigger`` slot is the job's entry, any other one gets its data from an entry
    routine through a connection. The job must complete, the routine must not fail and it must
    emit at least one event. ``flow_inputs`` says how to drive a routine, by routine name, with
    any of these keys:

    * ``slot``: the slot that gets the data (default ``"trigger"`` if the routine has one,
      else ``"input"``);
    * ``data``: the entry params or the payload sent to ``slot`` (default ``{}``);
    * ``config``: passed to ``set_config`` first (for example a required predicate);
    * ``emits``: ``False`` for a routine that never emits (a sink); it must still not fail.
    """

    routines: ClassVar[tuple[str, ...]] = ()
    flow_inputs: ClassVar[dict[str, dict[str, Any]]] = {}
    #: Seconds a flow test waits for its job.
    flow_timeout: ClassVar[float] = 30.0

    def test_registers_routines(self) -> None:
        self._registry()
        names = self._provided("routine")
        assert names, f"plugin {self._plugin_record.name!r} registers no routine"
        missing = sorted(set(self.routines) - set(names))
        assert not missing, f"routines {missing} are not provided; provided: {sorted(names)}"

    def test_routine_classes_are_routines(self) -> None:
        from routilux import Routine

        registry = self._registry()
        for name in self._provided("routine"):
            spec = registry.get_routine(name)
            assert isinstance(spec.cls, type) and issubclass(spec.cls, Routine), (
                f"routine {name!r}: cls {spec.cls!r} is not a subclass of routilux.Routine"
            )

    def test_spec_name_is_class_name(self) -> None:
        # Flows are stored with the class name as "_type"; loading finds the class by spec name.
        registry = self._registry()
        for name in self._provided("routine"):
            spec = registry.get_routine(name)
            assert spec.name == spec.cls.__name__, (
                f"RoutineSpec name {spec.name!r} differs from its class name {spec.cls.__name__!r}"
            )

    def test_routines_construct_without_arguments(self) -> None:
        from routilux import Routine

        registry = self._registry()
        for name in self._provided("routine"):
            instance = registry.get_routine(name).cls()
            assert isinstance(instance, Routine), f"{name}() did not build a Routine: {instance!r}"

    def test_routines_work_in_a_flow(self) -> None:
        registry = self._registry(with_builtins=True)
        provided = self._provided("routine")
        unknown = sorted(set(type(self).flow_inputs) - set(provided))
        assert not unknown, f"flow_inputs names routines the plugin does not provide: {unknown}"
        with use_registry(registry):
            problems = [self._flow_problem(name, registry.get_routine(name).cls) for name in provided]
        failed = [problem for problem in problems if problem is not None]
        assert not failed, f"{len(failed)} routine(s) do not work in a flow:\n" + "\n".join(failed)

    def _flow_problem(self, name: str, cls: type) -> Optional[str]:
        """Run routine ``name`` in a flow as the class docstring says; what went wrong, or None."""
        from routilux import Flow, JobState, Routine

        class ContractEntry(Routine):
            """The flow's entry: its ``trigger`` sends the entry params to the routine under test."""

            def __init__(self) -> None:
                super().__init__()
                self.define_slot("trigger", self._send)
                self.define_event("out")

            def _send(self, **params: Any) -> None:
                self.emit("out", **params)

        case = dict(type(self).flow_inputs.get(name, {}))
        bad_keys = sorted(set(case) - {"slot", "data", "config", "emits"})
        if bad_keys:
            return f"flow_inputs[{name!r}] has unknown keys {bad_keys}; valid: config, data, emits, slot"
        routine = cls()
        if case.get("config"):
            routine.set_config(**case["config"])
        slot = case.get("slot") or ("trigger" if routine.get_slot("trigger") is not None else "input")
        if routine.get_slot(slot) is None:
            return (f"routine {name!r} has no slot {slot!r} to run it with; set "
                    f"flow_inputs[{name!r}] = {{'slot': '<slot name>', 'data': {{...}}}}")
        data = dict(case.get("data") or {})
        flow = Flow(flow_id=f"contract-{name}")
        flow.add_routine(routine, "routine")
        entry = "routine"
        if slot != "trigger":
            flow.add_routine(ContractEntry(), "entry")
            flow.connect("entry", "out", "routine", slot)
            entry = "entry"
        timeout = type(self).flow_timeout
        try:
            job = flow.execute(entry, entry_params=data)
            if not JobState.wait_for_completion(flow, job, timeout=timeout):
                return f"routine {name!r}: the job did not finish within {timeout}s (status {job.status!r})"
            records = job.get_execution_history("routine")
        finally:
            flow.shutdown(timeout=timeout)
        if entry == "routine" and records and records[0].event_name == "start":
            records = records[1:]  # the job's start record, written for its entry routine
        # Under the default error handler a failed activation leaves an "error" record and the job
        # goes on, so the records are checked as well as the status.
        errors = [r.data for r in records if r.event_name == "error" and routine.get_event("error") is None]
        state = job.routine_states.get("routine") or {}
        if job.status != "completed" or errors or state.get("status") == "failed":
            return (f"routine {name!r} failed (slot {slot!r}, data {data!r}): job {job.status!r}, "
                    f"errors {errors or state.get('error')!r}; set flow_inputs[{name!r}] to data it accepts")
        if case.get("emits", True) and not records:
            return (f"routine {name!r} emitted nothing (slot {slot!r}, data {data!r}); give it data that "
                    f"makes it emit, or set flow_inputs[{name!r}]['emits'] = False for a sink")
        return None


class _Color(str, enum.Enum):
    RED = "red"
    GREEN = "green"


def _representative_payload() -> dict[str, Any]:
    """Plain data as ``serialize()`` methods produce it, with the awkward cases."""
    return {
        "_type": "JobState",
        "flow_id": "flow-ünïcödé-流れ-🚀",
        "status": _Color.RED,
        "count": 3,
        "ratio": 0.25,
        "negative": -7,
        "big": 2**53 + 1,
        "flag": True,
        "off": False,
        "nothing": None,
        "empty_text": "",
        "empty_list": [],
        "empty_dict": {},
        "created_at": _dt.datetime(2024, 2, 29, 23, 59, 58, 123456),
        "updated_at": _dt.datetime(
            2024, 3, 1, 8, 30, tzinfo=_dt.timezone(_dt.timedelta(hours=5, minutes=30))
        ),
        "history": [
            {"routine_id": "src", "event_name": "out", "data": {"text": 'héllo\nwörld\t"quoted"'}},
            {"routine_id": "sink", "event_name": "error", "data": {"values": [1, 2.5, None, "x"]}},
        ],
        "nested": {"level1": {"level2": {"level3": [{"k": "v"}, [1, [2, [3]]]]}}},
    }


class SerializerPluginContract(_PluginContract):
    """Contract for plugins implementing ``routilux_register_serializers``.

    Set ``plugin`` and ``serializer`` (the name of the format to check).
    """

    serializer: ClassVar[str]

    def _spec(self) -> Any:
        return self._registry().get_serializer(type(self).serializer)

    def test_dumps_returns_bytes(self) -> None:
        dumped = self._spec().dumps(_representative_payload())
        assert isinstance(dumped, bytes), f"dumps() must return bytes, got {type(dumped).__name__}"

    def test_round_trips_representative_payload(self) -> None:
        spec = self._spec()
        payload = _representative_payload()
        restored = spec.loads(spec.dumps(payload))
        assert restored == payload, f"serializer {spec.name!r} changed the data:\n{restored!r}"
        for key in ("created_at", "updated_at"):
            assert isinstance(restored[key], _dt.datetime), f"{key} came back as {restored[key]!r}"
        assert restored["updated_at"].utcoffset() == payload["updated_at"].utcoffset()
        assert restored["status"] == "red"

    def test_round_trip_is_stable(self) -> None:
        spec = self._spec()
        once = spec.loads(spec.dumps(_representative_payload()))
        twice = spec.loads(spec.dumps(once))
        assert twice == once

    def test_suffixes_select_the_serializer(self) -> None:
        registry = self._registry()
        spec = registry.get_serializer(type(self).serializer)
        for suffix in spec.suffixes:
            assert suffix.startswith(".") and len(suffix) > 1, f"suffix {suffix!r} must look like '.json'"
            assert registry.serializer_for_path(f"state{suffix}") is spec


class ExecutorPluginContract(_PluginContract):
    """Contract for plugins implementing ``routilux_register_executors``.

    Set ``plugin`` and ``executor`` (the name to check); ``ordered = True`` if
    the executor promises to run the activations of one slot in emit order.
    The tests drive the executor only through the public flow API, with
    core's built-in plugins registered too.
    """

    executor: ClassVar[str]
    ordered: ClassVar[bool] = False
    messages: ClassVar[int] = 20
    timeout: ClassVar[float] = 30.0
    #: Passed to the executor's factory (``Flow(executor_options=...)``).
    executor_options: ClassVar[dict[str, Any]] = {}

    def _build_flow(self) -> tuple[Any, Any]:
        from routilux import Flow, Routine

        class ContractSource(Routine):
            def __init__(self) -> None:
                super().__init__()
                self.define_slot("trigger", self._emit_many)
                self.define_event("out", ["index"])

            def _emit_many(self, **params: Any) -> None:
                for index in range(params.get("n", 0)):
                    self.emit("out", index=index)

        class ContractSink(Routine):
            """Reports each delivery by emitting it, so executors that run handlers in
            other processes (where the sink's own state stays behind) are checked too."""

            def __init__(self) -> None:
                super().__init__()
                # Returning the new data itself keeps concurrent activations from seeing each
                # other's payload through the slot's shared merge buffer.
                self.define_slot("input", self._collect, merge_strategy=lambda old, new: new)
                self.define_event("seen", ["index"])

            def _collect(self, index: int) -> None:
                self.emit("seen", index=index)

        flow = Flow(
            execution_strategy=type(self).executor,
            executor_options=dict(type(self).executor_options),
        )
        flow.add_routine(ContractSource(), "src")
        flow.add_routine(ContractSink(), "sink")
        flow.connect("src", "out", "sink", "input")
        return flow, "sink"

    @staticmethod
    def _seen(job: Any, sink_id: str) -> list[int]:
        return [r.data["index"] for r in job.get_execution_history(sink_id) if r.event_name == "seen"]

    def _run(self, flow: Any) -> Any:
        from routilux import JobState

        job = flow.execute("src", entry_params={"n": type(self).messages})
        finished = JobState.wait_for_completion(flow, job, timeout=type(self).timeout)
        assert finished, f"job did not finish within {type(self).timeout}s (status {job.status!r})"
        return job

    def _close(self, flow: Any) -> None:
        # Bounded: after a failed check the job may never finish, and shutdown waits for jobs.
        flow.shutdown(timeout=type(self).timeout)

    def _check_delivery(self, seen: list[int]) -> None:
        expected = list(range(type(self).messages))
        if type(self).ordered:
            assert seen == expected, f"executor {type(self).executor!r} broke emit order: {seen}"
        else:
            assert sorted(seen) == expected, f"executor {type(self).executor!r} delivered {sorted(seen)}"

    def test_executor_is_registered(self) -> None:
        registry = self._registry()
        assert type(self).executor in self._provided("executor")
        assert callable(registry.get_executor(type(self).executor).factory)

    def test_delivers_every_message(self) -> None:
        with use_registry(self._registry(with_builtins=True)):
            flow, sink = self._build_flow()
            try:
                job = self._run(flow)
                assert job.status == "completed", f"status {job.status!r}, expected 'completed'"
                self._check_delivery(self._seen(job, sink))
            finally:
                self._close(flow)

    def test_stop_strategy_fails_the_job(self) -> None:
        from routilux import ErrorHandler, Routine

        class ContractFailing(Routine):
            def __init__(self) -> None:
                super().__init__()
                self.define_slot("input", self._fail)

            def _fail(self, index: int) -> None:
                raise RuntimeError(f"contract failure on message {index}")

        with use_registry(self._registry(with_builtins=True)):
            flow, _sink = self._build_flow()
            failing = ContractFailing()
            failing.set_error_handler(ErrorHandler(strategy="stop"))
            flow.add_routine(failing, "failing")
            flow.connect("src", "out", "failing", "input")
            try:
                job = self._run(flow)
                assert job.status == "failed", f"status {job.status!r}, expected 'failed'"
            finally:
                self._close(flow)

    def test_runs_again_after_shutdown(self) -> None:
        with use_registry(self._registry(with_builtins=True)):
            flow, sink = self._build_flow()
            try:
                first = self._run(flow)
                flow.shutdown()
                second = self._run(flow)
                assert (first.status, second.status) == ("completed", "completed")
                assert second.job_id != first.job_id
                self._check_delivery(self._seen(second, sink))
            finally:
                self._close(flow)
