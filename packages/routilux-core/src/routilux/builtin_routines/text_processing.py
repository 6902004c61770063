"""The built-in text processing routines, resolved lazily from the ``routilux-std-routines`` plugin."""

from __future__ import annotations

from routilux.builtin_routines import CATEGORIES, lazy_attributes

__all__: list[str] = list(CATEGORIES["text_processing"])

__getattr__, __dir__ = lazy_attributes(__name__, __all__)
