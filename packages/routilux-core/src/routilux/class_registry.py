"""The registry of classes that ``Flow.deserialize`` may instantiate by name.

Classes get in explicitly, with :func:`register_serializable`, or because a
routine plugin registered them; nothing is registered just by subclassing
(user code reuses class names freely).
"""

from __future__ import annotations

import inspect
import threading
from typing import Dict, Optional, Type, TypeVar

T = TypeVar("T", bound=type)

_classes: Dict[str, type] = {}
_lock = threading.Lock()


def register_serializable(cls: T) -> T:
    """Class decorator: make ``cls`` restorable by ``Flow.deserialize`` under its ``__name__``.

    The class must be constructible without arguments. Registering a
    different class under a name already taken raises ``ValueError``.
    """
    if not isinstance(cls, type):
        raise TypeError(f"register_serializable decorates classes, got {cls!r}")
    for name, param in inspect.signature(cls).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if param.default is param.empty:
            raise TypeError(
                f"Cannot register {cls.__qualname__}: its constructor requires the argument {name!r}; "
                "serializable classes must be constructible with no arguments"
            )
    with _lock:
        existing = _classes.get(cls.__name__)
        if existing is not None and existing is not cls:
            raise ValueError(
                f"Class name conflict: {cls.__name__!r} is already registered for "
                f"{existing.__module__}.{existing.__qualname__}; "
                f"cannot register {cls.__module__}.{cls.__qualname__}"
            )
        _classes[cls.__name__] = cls
    return cls


def lookup_registered(name: str) -> Optional[Type[object]]:
    """The class registered under ``name`` with :func:`register_serializable`, or None."""
    return _classes.get(name)
