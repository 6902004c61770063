"""Records that plugins hand to routilux through the registration hooks.

Every record is a frozen, keyword-only attrs class: plugins build them once at
registration time and the registry stores them as they are, so nothing is
resolved again on the per-activation path.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs


def _str_tuple(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


def _nonempty_name(instance: Any, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(
            f"{type(instance).__name__}.{attribute.name} must be a non-empty string, got {value!r}"
        )


@attrs.frozen(kw_only=True)
class RoutineSpec:
    """A routine type offered by a plugin.

    ``name`` is the type name used by flow files and by ``Flow.deserialize``
    (normally the class ``__name__``); ``category`` groups routines for
    ``routilux.builtin_routines.<category>`` and for listings.
    """

    name: str = attrs.field(validator=_nonempty_name)
    cls: type
    category: str | None = None
    description: str = ""


@attrs.frozen(kw_only=True)
class ErrorStrategySpec:
    """An error strategy offered by a plugin.

    ``decide(handler, error, context)`` is called when a routine governed by an
    :class:`~routilux.error_handler.ErrorHandler` using this strategy fails. It
    returns an :class:`~routilux.error_handler.ErrorDecision` telling the
    engine whether to stop the job, continue, skip the routine or retry the
    activation (and after which delay). It may keep state on the handler.
    """

    name: str = attrs.field(validator=_nonempty_name)
    decide: Callable[..., Any]
    description: str = ""


@attrs.frozen(kw_only=True)
class SerializerSpec:
    """A serialization format: ``dumps(obj) -> bytes`` and ``loads(bytes) -> obj``.

    ``obj`` is the plain data produced by ``serialize()`` methods (dicts,
    lists, strings, numbers, booleans, None, datetimes and enums). ``suffixes``
    (for example ``(".json",)``) let ``JobState.save(path)`` pick the format
    from a file name.
    """

    name: str = attrs.field(validator=_nonempty_name)
    dumps: Callable[[Any], bytes]
    loads: Callable[[bytes], Any]
    suffixes: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    description: str = ""


#: The parameter kinds an option can be passed as (by keyword).
_NAMED = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


@attrs.frozen(kw_only=True)
class ExecutorSpec:
    """An executor that runs slot activations for a flow.

    ``factory(max_workers=..., **options)`` returns an object implementing
    :class:`routilux.engine.executors.base.Executor` (see that module for the full
    contract, including executors that run activations in other processes).
    """

    name: str = attrs.field(validator=_nonempty_name)
    factory: Callable[..., Any]
    description: str = ""

    def check_settings(self, max_workers: Any, options: Mapping[str, Any]) -> None:
        """Refuse settings the factory cannot take, before anything is built.

        ``max_workers`` must be a positive int; the option names are checked against the
        factory's signature (a factory taking ``**options`` checks its own when it runs).

        Raises:
            ValueError: ``max_workers`` is not a positive int.
            TypeError: an option the factory does not take (the message lists those it does).
        """
        if not isinstance(max_workers, int) or isinstance(max_workers, bool) or max_workers < 1:
            raise ValueError(
                f"executor {self.name!r}: max_workers must be a positive int, got {max_workers!r}"
            )
        try:
            parameters = inspect.signature(self.factory).parameters.values()
        except (TypeError, ValueError):  # a callable without an introspectable signature
            return
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
            return
        taken = [p.name for p in parameters if p.name != "max_workers" and p.kind in _NAMED]
        unknown = sorted(name for name in options if name not in taken)
        if unknown:
            offered = ", ".join(taken) if taken else "none"
            names = ", ".join(map(repr, unknown))
            raise TypeError(f"executor {self.name!r} has no option {names}; its options: {offered}")



def _schemes(instance: Any, attribute: attrs.Attribute[tuple[str, ...]], value: tuple[str, ...]) -> None:
    if not value or not all(isinstance(s, str) and s and s == s.lower() and ":" not in s for s in value):
        raise ValueError(
            f"StoreSpec {instance.name!r}: schemes must be one or more lowercase URL schemes without ':', "
            f"got {value!r}"
        )


@attrs.frozen(kw_only=True)
class StoreSpec:
    """A store of flows, job snapshots and (for a durable store) job journals.

    ``open(location, **options)`` returns the store (see :mod:`routilux.store`
    for the protocols); :func:`routilux.open_store` calls it for a URL whose
    scheme is one of ``schemes``, with the part after ``scheme:`` (and its
    ``//``) as ``location``.
    """

    name: str = attrs.field(validator=_nonempty_name)
    schemes: tuple[str, ...] = attrs.field(converter=_str_tuple, validator=_schemes)
    open: Callable[..., Any]
    description: str = ""


@attrs.frozen(kw_only=True)
class PluginRecord:
    """What the registry knows about one plugin, whether it loaded or not.

    ``distribution``/``version`` are ``"routilux-core"`` and core's version for
    built-ins, the installing distribution for entry points and ``None`` for
    plugins registered in code. ``entry_point`` reads ``"<name> = <value>"``.
    ``hooks`` are the hook names the plugin implements and ``provides`` the
    ``"<kind>:<name>"`` keys it registered (kinds: ``routine``,
    ``error_strategy``, ``serializer``, ``executor``, ``store``), ``descriptions`` the
    ``description`` of each of those specs, in the same order (``""`` where a
    spec has none). ``status`` is ``"ok"``,
    ``"error"`` (``error`` holds ``"<ExceptionType>: <message>"``; nothing of
    the plugin was kept) or ``"disabled"`` (``error`` says which environment
    variable filtered it out).
    """

    name: str
    distribution: str | None = None
    version: str | None = None
    entry_point: str | None = None
    hooks: tuple[str, ...] = ()
    provides: tuple[str, ...] = ()
    descriptions: tuple[str, ...] = ()
    status: str = "ok"
    error: str | None = None
