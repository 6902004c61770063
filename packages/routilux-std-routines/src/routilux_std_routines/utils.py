"""The 0.10 import path ``routilux_std_routines.utils``: the ``utils`` routines.

TimeProvider lives in :mod:`routilux_std_routines.current_time` and
DataFlattener in :mod:`routilux_std_routines.flattening`; this module keeps the
path of their 0.10 category (``routilux.builtin_routines.utils``).
"""

from routilux_std_routines.current_time import TimeProvider
from routilux_std_routines.flattening import DataFlattener

__all__ = ["DataFlattener", "TimeProvider"]
