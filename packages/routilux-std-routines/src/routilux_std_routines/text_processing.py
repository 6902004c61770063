"""The 0.10 import path ``routilux_std_routines.text_processing``: the ``text_processing`` routines.

TextClipper lives in :mod:`routilux_std_routines.text_clipping`, TextRenderer in
:mod:`routilux_std_routines.text_rendering` and ResultExtractor in
:mod:`routilux_std_routines.result_extraction`; this module keeps the path of
their 0.10 category (``routilux.builtin_routines.text_processing``).
"""

from routilux_std_routines.result_extraction import ResultExtractor
from routilux_std_routines.text_clipping import TextClipper
from routilux_std_routines.text_rendering import TextRenderer

__all__ = ["ResultExtractor", "TextClipper", "TextRenderer"]
