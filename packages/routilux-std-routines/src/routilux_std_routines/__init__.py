"""The standard routines of routilux, shipped as a plugin distribution.

The spec's eight built-ins (``TextClipper``, ``TextRenderer``,
``ResultExtractor``, ``TimeProvider``, ``DataFlattener``, ``DataTransformer``,
``DataValidator``, ``ConditionalRouter``) and four flow-control routines
(``DataAggregator``, ``DataBatcher``, ``DataFilter``, ``RateLimiter``). With
the distribution installed, ``from routilux import TextClipper`` and
``routilux.builtin_routines.<category>`` give these same classes.
"""

from routilux_std_routines.control_flow import ConditionalRouter
from routilux_std_routines.data_processing import DataTransformer, DataValidator
from routilux_std_routines.expressions import Expression
from routilux_std_routines.flow_control import DataAggregator, DataBatcher, DataFilter, RateLimiter
from routilux_std_routines.text_processing import ResultExtractor, TextClipper, TextRenderer
from routilux_std_routines.utils import DataFlattener, TimeProvider

__version__ = "0.10.0"

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
