"""The built-in data processing routines, resolved lazily from the ``routilux-std-routines`` plugin."""

from __future__ import annotations

from typing import List

from routilux.builtin_routines import CATEGORIES, _lazy_attributes

__all__: List[str] = list(CATEGORIES["data_processing"])

__getattr__, __dir__ = _lazy_attributes(__name__, __all__)
