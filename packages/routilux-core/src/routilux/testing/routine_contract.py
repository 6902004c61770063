"""The contract of plugins that register routines (``routilux_register_routines``)."""

from __future__ import annotations

from typing import Any, ClassVar

from routilux.testing.contract import PluginContract
from routilux.testing.registries import use_registry

__all__ = ["RoutinePluginContract"]


class RoutinePluginContract(PluginContract):
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
        self.plugin_registry()
        names = self.provided("routine")
        assert names, f"plugin {self.plugin_record.name!r} registers no routine"
        missing = sorted(set(self.routines) - set(names))
        assert not missing, f"routines {missing} are not provided; provided: {sorted(names)}"

    def test_routine_classes_are_routines(self) -> None:
        from routilux import Routine

        registry = self.plugin_registry()
        for name in self.provided("routine"):
            spec = registry.get_routine(name)
            assert isinstance(spec.cls, type) and issubclass(spec.cls, Routine), (
                f"routine {name!r}: cls {spec.cls!r} is not a subclass of routilux.Routine"
            )

    def test_spec_name_is_class_name(self) -> None:
        # Flows are stored with the class name as "_type"; loading finds the class by spec name.
        registry = self.plugin_registry()
        for name in self.provided("routine"):
            spec = registry.get_routine(name)
            assert spec.name == spec.cls.__name__, (
                f"RoutineSpec name {spec.name!r} differs from its class name {spec.cls.__name__!r}"
            )

    def test_routines_construct_without_arguments(self) -> None:
        from routilux import Routine

        registry = self.plugin_registry()
        for name in self.provided("routine"):
            instance = registry.get_routine(name).cls()
            assert isinstance(instance, Routine), f"{name}() did not build a Routine: {instance!r}"

    def test_routines_work_in_a_flow(self) -> None:
        registry = self.plugin_registry(with_builtins=True)
        provided = self.provided("routine")
        unknown = sorted(set(type(self).flow_inputs) - set(provided))
        assert not unknown, f"flow_inputs names routines the plugin does not provide: {unknown}"
        with use_registry(registry):
            problems = [self._flow_problem(name, registry.get_routine(name).cls) for name in provided]
        failed = [problem for problem in problems if problem is not None]
        assert not failed, f"{len(failed)} routine(s) do not work in a flow:\n" + "\n".join(failed)

    def _flow_problem(self, name: str, cls: type) -> str | None:
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
