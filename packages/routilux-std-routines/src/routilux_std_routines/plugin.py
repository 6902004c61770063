"""The ``routilux`` entry point of this distribution: registers its routine types.

Listed by ``routilux plugins``; ``Flow.deserialize`` and flow files find the
classes by these names, and ``routilux.builtin_routines.<category>`` /
``from routilux import TextClipper`` resolve through the same records.
"""

from __future__ import annotations

from routilux.plugins.hookspecs import hookimpl
from routilux.plugins.specs import RoutineSpec
from routilux_std_routines.batching import DataAggregator, DataBatcher
from routilux_std_routines.current_time import TimeProvider
from routilux_std_routines.data_processing import DataTransformer, DataValidator
from routilux_std_routines.flattening import DataFlattener
from routilux_std_routines.rate_limiting import RateLimiter
from routilux_std_routines.result_extraction import ResultExtractor
from routilux_std_routines.routing import ConditionalRouter, DataFilter
from routilux_std_routines.text_clipping import TextClipper
from routilux_std_routines.text_rendering import TextRenderer

#: (category, class) for every routine of the distribution, in listing order.
ROUTINES: tuple[tuple[str, type], ...] = (
    ("text_processing", TextClipper),
    ("text_processing", TextRenderer),
    ("text_processing", ResultExtractor),
    ("utils", TimeProvider),
    ("utils", DataFlattener),
    ("data_processing", DataTransformer),
    ("data_processing", DataValidator),
    ("control_flow", ConditionalRouter),
    ("flow_control", DataAggregator),
    ("flow_control", DataBatcher),
    ("flow_control", DataFilter),
    ("flow_control", RateLimiter),
)


def _summary(cls: type) -> str:
    return (cls.__doc__ or "").strip().split("\n", 1)[0]


@hookimpl
def routilux_register_routines() -> list[RoutineSpec]:
    """Every routine of the distribution, named by its class name."""
    return [
        RoutineSpec(name=cls.__name__, cls=cls, category=category, description=_summary(cls))
        for category, cls in ROUTINES
    ]
