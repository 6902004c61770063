"""Names in flow files and the classes they stand for: routine types and exception classes.

A name is either registered (``TextClipper``: any installed routine plugin;
``ConnectionError``: a builtin exception) or written ``module:Class``, whose
import runs that module (code the user chose to run).
"""

from __future__ import annotations

import builtins
import importlib
from collections.abc import Mapping
from typing import Any

from routilux import Routine
from routilux_cli.flowfile.schema import did_you_mean, listing

__all__ = ["registered_routines", "resolve_exception", "resolve_routine_type", "routine_type_name"]


def registered_routines() -> Mapping[str, Any]:
    """The routine types of the plugin registry: name -> ``RoutineSpec``."""
    from routilux.plugins import get_registry

    return get_registry().routines


def _import_attribute(name: str) -> Any:
    """The object that ``module:Qual.Name`` names; ``ValueError`` for a malformed or missing name."""
    module_name, _, qualname = name.partition(":")
    if not module_name or not qualname:
        raise ValueError(f"{name!r} must be 'module:Class'")
    target: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise ValueError(f"module {module_name!r} has no attribute {qualname!r}") from None
    return target


def resolve_routine_type(name: str) -> type[Routine]:
    """The Routine class for a flow-file ``type``: a registered name or ``module:Class``.

    Raises:
        ValueError: an unknown name (with the closest registered names).
        ImportError: the module of ``module:Class`` cannot be imported.
        TypeError: the class is not a Routine subclass.
    """
    if ":" in name:
        target = _import_attribute(name)
        if not (isinstance(target, type) and issubclass(target, Routine)):
            raise TypeError(f"{name!r} is not a Routine subclass")
        return target
    routines = registered_routines()
    spec = routines.get(name)
    if spec is None:
        from routilux.plugins import get_registry

        hint = did_you_mean(name, list(routines)) or listing(list(routines), "registered routine types")
        # A plugin that failed to load may be the one that provides the name: say which.
        raise ValueError(
            f"unknown routine type {name!r}{hint} (a class of your own is written 'module:Class')"
            f"{get_registry().failure_note()}"
        )
    cls: type[Routine] = spec.cls
    return cls


def resolve_exception(name: str) -> type[BaseException]:
    """The exception class of a builtin name (``ConnectionError``) or of ``module:Class``.

    Raises:
        ValueError: an unknown builtin name or a missing attribute.
        ImportError: the module cannot be imported.
        TypeError: the object is not an exception class.
    """
    if ":" in name:
        target = _import_attribute(name)
    else:
        target = getattr(builtins, name, None)
        if target is None:
            raise ValueError(f"unknown exception {name!r} (a builtin name, or 'module:Class')")
    if not (isinstance(target, type) and issubclass(target, BaseException)):
        raise TypeError(f"{name!r} is not an exception class")
    return target


def routine_type_name(cls: type, location: str) -> str:
    """How a flow file names ``cls``: its registered name, else ``module:Class``.

    Raises:
        ValueError: ``cls`` is defined in ``__main__`` or inside a function, so no
            flow file could import it again.
    """
    try:
        for name, spec in registered_routines().items():
            if spec.cls is cls:
                return str(name)
    except Exception:
        # A registry that cannot be built still leaves module:Class, which needs none.
        pass
    qualname = cls.__qualname__
    if cls.__module__ == "__main__" or "<locals>" in qualname:
        where = " inside a function" if "<locals>" in qualname else ""
        raise ValueError(f"{location}: class {qualname} is defined in {cls.__module__!r}{where}; a flow file "
                         f"can only refer to a registered routine type or an importable 'module:Class'")
    return f"{cls.__module__}:{qualname}"
