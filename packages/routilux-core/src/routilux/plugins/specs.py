"""Records that plugins hand to routilux through the registration hooks.

Every record is a frozen, keyword-only attrs class: plugins build them once at
registration time and the registry stores them as they are, so nothing is
resolved again on the per-activation path.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Tuple

import attrs


def _nonempty_name(instance: Any, attribute: "attrs.Attribute[str]", value: str) -> None:
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
    category: Optional[str] = None
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
    suffixes: Tuple[str, ...] = attrs.field(default=(), converter=tuple)
    description: str = ""


@attrs.frozen(kw_only=True)
class ExecutorSpec:
    """An executor that runs slot activations for a flow.

    ``factory(max_workers=..., **options)`` returns an object implementing
    :class:`routilux.engine.executor.Executor` (see that module for the full
    contract, including executors that run activations in other processes).
    """

    name: str = attrs.field(validator=_nonempty_name)
    factory: Callable[..., Any]
    description: str = ""


@attrs.frozen(kw_only=True)
class PluginRecord:
    """What the registry knows about one plugin, whether it loaded or not.

    ``distribution``/``version`` are ``"routilux-core"`` and core's version for
    built-ins, the installing distribution for entry points and ``None`` for
    plugins registered in code. ``entry_point`` reads ``"<name> = <value>"``.
    ``hooks`` are the hook names the plugin implements and ``provides`` the
    ``"<kind>:<name>"`` keys it registered (kinds: ``routine``,
    ``error_strategy``, ``serializer``, ``executor``), ``descriptions`` the
    ``description`` of each of those specs, in the same order (``""`` where a
    spec has none). ``status`` is ``"ok"``,
    ``"error"`` (``error`` holds ``"<ExceptionType>: <message>"``; nothing of
    the plugin was kept) or ``"disabled"`` (``error`` says which environment
    variable filtered it out).
    """

    name: str
    distribution: Optional[str] = None
    version: Optional[str] = None
    entry_point: Optional[str] = None
    hooks: Tuple[str, ...] = ()
    provides: Tuple[str, ...] = ()
    descriptions: Tuple[str, ...] = ()
    status: str = "ok"
    error: Optional[str] = None
