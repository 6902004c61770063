"""The registry of classes that ``Flow.deserialize`` may instantiate by name.

Classes get in explicitly, with :func:`register_serializable`, or because a
routine plugin registered them; nothing is registered just by subclassing
(user code reuses class names freely). Code written for routilux 0.10 may use
serilux's decorator instead; those classes are found too (see
:mod:`routilux.serilux_bridge`), and a name both decorators registered for
different classes is a clash, whichever decorator ran first.
"""

from __future__ import annotations

import inspect
import threading
from typing import TypeVar

from routilux.serilux_bridge import SERILUX_DECORATOR, serilux_class

T = TypeVar("T", bound=type)

_classes: dict[str, type] = {}
_lock = threading.Lock()


def qualified_name(cls: object) -> str:
    """``module.QualName`` of a class (the ``repr`` of anything else), as clash messages name it."""
    if isinstance(cls, type):
        return f"{cls.__module__}.{cls.__qualname__}"
    return repr(cls)


def name_conflict(name: str, existing: object, how_existing: str, new: object, how_new: str) -> ValueError:
    """The error for two different classes claiming ``name``; ``how_*`` say who registered each."""
    return ValueError(
        f"Class name conflict: {name!r} is already registered for {qualified_name(existing)} "
        f"({how_existing}); cannot register {qualified_name(new)} ({how_new}). Rename one of the "
        f"classes: serialized data names its class by bare name only"
    )


def register_serializable(cls: T) -> T:
    """Class decorator: make ``cls`` restorable by ``Flow.deserialize`` under its ``__name__``.

    Registering the same class again (also with serilux's decorator) is fine.

    Raises:
        TypeError: ``cls`` is not a class, or its constructor requires an argument
            (serializable classes are created with no arguments, then restored).
        ValueError: a different class is already registered under that name, with
            this decorator or with ``serilux.register_serializable``.
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
    here = "routilux.register_serializable"
    companion = serilux_class(cls.__name__)
    if companion is not None and companion is not cls:
        raise name_conflict(cls.__name__, companion, SERILUX_DECORATOR, cls, here)
    with _lock:
        existing = _classes.get(cls.__name__)
        if existing is not None and existing is not cls:
            raise name_conflict(cls.__name__, existing, here, cls, here)
        _classes[cls.__name__] = cls
    return cls


def lookup_registered(name: str) -> type | None:
    """The class registered under ``name`` with :func:`register_serializable`, or None."""
    return _classes.get(name)
