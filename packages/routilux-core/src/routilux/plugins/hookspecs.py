"""The hooks a routilux plugin can implement.

A plugin is a module (or object) with functions marked ``@routilux.hookimpl``
and named like the specs below. Plugins are found through the ``routilux``
entry-point group; core registers its own built-ins through the very same
hooks (see ``routilux.plugins.manager.DEFAULT_PLUGINS``).

Each hook is called once, when the registry is built, and returns a sequence
of records from :mod:`routilux.plugins.specs`. The records are stored in plain
name -> record maps; no hook is ever called while a flow runs.
"""

from __future__ import annotations

from collections.abc import Sequence

import pluggy

from routilux.plugins.specs import ErrorStrategySpec, ExecutorSpec, RoutineSpec, SerializerSpec, StoreSpec

PROJECT_NAME = "routilux"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def routilux_register_routines() -> Sequence[RoutineSpec]:
    """Return the routine types this plugin provides.

    Names must be unique across all plugins; they are what flow files and
    ``Flow.deserialize`` use to find a class. Return ``RoutineSpec`` records.
    """


@hookspec
def routilux_register_error_strategies() -> Sequence[ErrorStrategySpec]:
    """Return the error strategies this plugin provides.

    A strategy is selected by name: ``ErrorHandler(strategy="<name>")``. Its
    ``decide`` callable receives ``(handler, error, context)`` and returns an
    ``ErrorDecision``; it runs on the thread that ran the failed activation.
    """


@hookspec
def routilux_register_serializers() -> Sequence[SerializerSpec]:
    """Return the serialization formats this plugin provides.

    ``JobState.save(path, serializer=None)`` and the stores choose a format by
    name or by file suffix; ``dumps``/``loads`` must round-trip the plain data
    of ``serialize()`` (dicts, lists, str, int, float, bool, None, datetimes,
    enums).
    """


@hookspec
def routilux_register_executors() -> Sequence[ExecutorSpec]:
    """Return the executors this plugin provides.

    ``Flow(execution_strategy="<name>")`` selects one. The factory is called
    as ``factory(max_workers=<int>, **options)`` (options from
    ``Flow(executor_options=...)``) and returns an object with
    ``start(runner)``, ``submit(activation)`` and ``shutdown(wait=True)``.
    Activations are opaque: a local executor runs one with
    ``runner.run(activation)`` on a thread of its own; an executor that runs
    handlers in another process or machine uses
    ``runner.prepare_remote(activation)`` (locally) → ``RemoteCall.run()``
    (remotely, emits captured) → ``runner.finish_remote(activation, result)``
    (locally), and the flow routes the captured emits and applies the error
    strategy as for a local run. The full contract is documented in
    :mod:`routilux.engine.executors.base`.
    """


@hookspec
def routilux_register_stores() -> Sequence[StoreSpec]:
    """Return the stores this plugin provides.

    :func:`routilux.open_store` picks a store by its URL's scheme
    (``sqlite:///path.db``, ``file:dir``); ``open(location, **options)``
    returns an object implementing :class:`routilux.store.SnapshotStore`, and
    :class:`routilux.store.DurableStore` for a store that journals jobs.
    """
