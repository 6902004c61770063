"""The standard routines of routilux, shipped as a plugin distribution.

The spec's eight built-ins (``TextClipper``, ``TextRenderer``,
``ResultExtractor``, ``TimeProvider``, ``DataFlattener``, ``DataTransformer``,
``DataValidator``, ``ConditionalRouter``) and four flow-control routines
(``DataAggregator``, ``DataBatcher``, ``DataFilter``, ``RateLimiter``). With
the distribution installed, ``from routilux import TextClipper`` and
``routilux.builtin_routines.<category>`` give these same classes.

Modules, by what they hold: ``text_clipping``, ``text_rendering`` and
``result_extraction`` (text), ``current_time`` and ``flattening`` (utilities),
``data_processing``, ``routing`` (ConditionalRouter, DataFilter), ``batching``
(DataAggregator, DataBatcher), ``rate_limiting``; ``conditions``,
``condition_serialization`` and ``expressions`` behind the routing routines.
``text_processing``, ``utils`` and ``control_flow`` are the 0.10 category paths.
"""

from importlib.metadata import PackageNotFoundError, version

from routilux_std_routines.batching import DataAggregator, DataBatcher
from routilux_std_routines.current_time import TimeProvider
from routilux_std_routines.data_processing import DataTransformer, DataValidator
from routilux_std_routines.expressions import Expression
from routilux_std_routines.flattening import DataFlattener
from routilux_std_routines.rate_limiting import RateLimiter
from routilux_std_routines.result_extraction import ResultExtractor
from routilux_std_routines.routing import ConditionalRouter, DataFilter
from routilux_std_routines.text_clipping import TextClipper
from routilux_std_routines.text_rendering import TextRenderer

try:
    __version__ = version("routilux-std-routines")
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "ConditionalRouter",
    "DataAggregator",
    "DataBatcher",
    "DataFilter",
    "DataFlattener",
    "DataTransformer",
    "DataValidator",
    "Expression",
    "RateLimiter",
    "ResultExtractor",
    "TextClipper",
    "TextRenderer",
    "TimeProvider",
    "__version__",
]
