"""The ``routilux`` entry point of routilux-cli: registers FlowInput and FlowOutput."""

from __future__ import annotations

from routilux.plugins.hookspecs import hookimpl
from routilux.plugins.specs import RoutineSpec
from routilux_cli.routines import FlowInput, FlowOutput


@hookimpl
def routilux_register_routines() -> list[RoutineSpec]:
    """The two flow-file helper routines, named by their class names."""
    return [
        RoutineSpec(name="FlowInput", cls=FlowInput, category="flow_io",
                    description="Entry routine: emits the job's entry parameters (or each element of one)."),
        RoutineSpec(name="FlowOutput", cls=FlowOutput, category="flow_io",
                    description="Sink routine: sends what it receives to the job's output."),
    ]
