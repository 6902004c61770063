"""The ``routilux`` entry point of this distribution: registers its routine types.

Listed by ``routilux plugins``; ``Flow.deserialize`` and flow files find the
classes by these names, and ``routilux.builtin_routines.<category>`` /
``from routilux import TextClipper`` resolve through the same records.
"""

from __future__ import annotations

from typing import List, Tuple

from routilux.plugins.hookspecs import hookimpl
from routilux.plugins.specs import RoutineSpec
from routilux_std_routines.control_flow import ConditionalRouter
from routilux_std_routines.data_processing import DataTransformer, DataValidator
from routilux_std_routines.flow_control import DataAggregator, DataBatcher, DataFilter, RateLimiter
from routilux_std_routines.text_processing import ResultExtractor, TextClipper, TextRenderer
from routilux_std_routines.utils import DataFlattener, TimeProvider

#: (category, class) for every routine of the distribution, in listing order.
ROUTINES: Tuple[Tuple[str, type], ...] = (
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
def routilux_register_routines() -> List[RoutineSpec]:
    """Every routine of the distribution, named by its class name."""
    return [
        RoutineSpec(name=cls.__name__, cls=cls, category=category, description=_summary(cls))
        for category, cls in ROUTINES
    ]
