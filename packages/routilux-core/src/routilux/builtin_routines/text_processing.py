"""The built-in text processing routines, resolved lazily from the ``routilux-std-routines`` plugin."""

from __future__ import annotations

from typing import List

from routilux.builtin_routines import CATEGORIES, _resolve

__all__: List[str] = list(CATEGORIES["text_processing"])


def __getattr__(name: str) -> type:
    if name in __all__:
        return _resolve(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> List[str]:
    return sorted(set(globals()) | set(__all__))
