"""The 0.10 import path ``routilux_std_routines.control_flow``: the ``control_flow`` routines.

ConditionalRouter lives in :mod:`routilux_std_routines.routing`; this module
keeps the path of its 0.10 category (``routilux.builtin_routines.control_flow``).
"""

from routilux_std_routines.routing import ConditionalRouter

__all__ = ["ConditionalRouter"]
