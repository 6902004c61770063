"""The settings sections: the ``executor`` and the ``error_handler`` of a flow or of a routine."""

from __future__ import annotations

from typing import Any

from routilux import ErrorHandler
from routilux.error_handler import ErrorStrategy
from routilux_cli.flowfile.names import resolve_exception
from routilux_cli.flowfile.report import Reporter, error_text
from routilux_cli.flowfile.schema import EXECUTOR_KEYS, HANDLER_KEYS, did_you_mean, listing
from routilux_cli.plugin_hints import install_hint

__all__ = ["DEFAULT_MAX_WORKERS", "default_max_workers", "read_error_handler", "read_executor",
           "read_routine_executor"]

#: ``max_workers`` of an executor the file does not size.
DEFAULT_MAX_WORKERS = 5

_SHAPE = "a name, or a mapping with name, max_workers, options"


def default_max_workers(name: str) -> int:
    """``max_workers`` of a routine's executor ``name`` that the file does not size (as
    ``flow.set_routine_executor`` chooses it: 1 for ``sequential``)."""
    return 1 if name == "sequential" else DEFAULT_MAX_WORKERS


def read_executor(report: Reporter, value: Any) -> tuple[str, int, dict[str, Any]]:
    """``(name, max_workers, options)`` of the flow's ``executor`` section; problems go to ``report``.

    What is wrong is reported and replaced by the default (``sequential``), so
    the rest of the file is still checked.
    """
    if value is None:
        return "sequential", DEFAULT_MAX_WORKERS, {}
    setting = _read_setting(report, value, "executor", name_required=False)
    return setting if setting is not None else ("sequential", DEFAULT_MAX_WORKERS, {})


def read_routine_executor(
    report: Reporter, value: Any, location: str
) -> tuple[str, int, dict[str, Any]] | None:
    """``(name, max_workers, options)`` of a routine's ``executor`` key, or None if it has problems.

    The grammar is the flow's (:func:`read_executor`), but a mapping must name
    its executor: there is no default to fall back on but the flow's own,
    which is what leaving the key out means.

    Args:
        report: where problems go.
        value: the key's value as read from the file.
        location: where it is (``routines.work.executor``).
    """
    return _read_setting(report, value, location, name_required=True)


def _read_setting(
    report: Reporter, value: Any, location: str, *, name_required: bool
) -> tuple[str, int, dict[str, Any]] | None:
    """Check an executor setting: its shape, a registered name, a positive ``max_workers``, and
    options the executor's factory takes. None (problems reported) when any is wrong."""
    from routilux.plugins import PluginError, get_registry

    if isinstance(value, str):
        name: Any = value
        max_workers: Any = None
        options: Any = {}
        name_at = location
    elif isinstance(value, dict):
        report.unknown_keys(value, EXECUTOR_KEYS, location)
        if "name" not in value and name_required:
            report.problem(location, f"missing: the executor's name ({_SHAPE})")
            return None
        name = value.get("name", "sequential")
        max_workers = value.get("max_workers")
        options = value.get("options", {})
        name_at = f"{location}.name"
    else:
        report.problem(location, f"executor must be {_SHAPE}; got {value!r}")
        return None
    ok = True
    if max_workers is not None and (
        isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers < 1
    ):
        report.problem(f"{location}.max_workers",
                       f"max_workers must be a positive integer, got {max_workers!r}")
        ok = False
    if not isinstance(options, dict) or not all(isinstance(key, str) for key in options):
        report.problem(f"{location}.options", f"executor options must be a mapping of names, got {options!r}")
        ok = False
    if not isinstance(name, str):
        report.problem(name_at, f"executor name must be a string, got {name!r}")
        return None
    try:
        executors = get_registry().executors
    except PluginError as error:
        report.problem(name_at, f"the plugin registry cannot be used: {error}")
        return None
    spec = executors.get(name)
    if spec is None:
        hint = did_you_mean(name, list(executors)) or listing(list(executors), "registered executors")
        provider = install_hint("executor", name)  # the project's own plugins say what to install
        report.problem(name_at, f"unknown executor {name!r}{hint}" + (f"; {provider}" if provider else ""))
        return None
    if not ok:
        return None
    if max_workers is None:
        max_workers = default_max_workers(name) if name_required else DEFAULT_MAX_WORKERS
    try:
        # The option names against the factory's signature first (the clearer message), then
        # the executor itself: the contract keeps connecting and starting threads for start(),
        # so creating it here only runs its checks of the values, which a run would otherwise
        # meet mid-job.
        spec.check_settings(max_workers, options)
        spec.factory(max_workers=max_workers, **options)
    except (TypeError, ValueError) as error:
        where = f"{location}.options" if options else location
        report.problem(where, f"executor {name!r} refuses these settings (max_workers={max_workers}, "
                              f"options={options!r}): {error_text(error)}")
        return None
    return name, max_workers, dict(options)


def _known_strategies() -> list[str]:
    known = [s.value for s in ErrorStrategy]
    try:
        from routilux.plugins import get_registry

        known = sorted(set(known) | set(get_registry().error_strategies))
    except Exception:
        # Without a usable registry the built-in names still make a useful hint.
        pass
    return known


def read_error_handler(report: Reporter, value: Any, location: str) -> ErrorHandler | None:
    """The ErrorHandler an ``error_handler`` section describes, or None if it has problems (reported)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = {"strategy": value}
    if not isinstance(value, dict):
        report.problem(location, "an error handler must be a mapping (strategy, max_retries, ...) "
                                 "or a strategy name")
        return None
    report.unknown_keys(value, HANDLER_KEYS, location)
    kwargs: dict[str, Any] = {}
    ok = True
    numbers = (("max_retries", int), ("retry_delay", (int, float)), ("retry_backoff", (int, float)))
    for key, kind in numbers:
        if key in value:
            number = value[key]
            if isinstance(number, bool) or not isinstance(number, kind) or number < 0:
                report.problem(f"{location}.{key}", f"{key} must be a non-negative number, got {number!r}")
                ok = False
            else:
                kwargs[key] = number
    if "is_critical" in value:
        if not isinstance(value["is_critical"], bool):
            report.problem(f"{location}.is_critical", "is_critical must be true or false")
            ok = False
        else:
            kwargs["is_critical"] = value["is_critical"]
    if "retryable_exceptions" in value:
        names = value["retryable_exceptions"]
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            report.problem(f"{location}.retryable_exceptions", "retryable_exceptions must be a list of names")
            ok = False
        else:
            classes = []
            for index, exc_name in enumerate(names):
                try:
                    classes.append(resolve_exception(exc_name))
                except Exception as error:
                    report.problem(f"{location}.retryable_exceptions[{index}]", str(error))
                    ok = False
            kwargs["retryable_exceptions"] = tuple(classes)
    strategy = value.get("strategy", "stop")
    try:
        handler = ErrorHandler(strategy=strategy, **kwargs)
    except (ValueError, TypeError):
        known = _known_strategies()
        hint = did_you_mean(str(strategy), known) or listing(known, "strategies")
        report.problem(f"{location}.strategy", f"unknown error strategy {strategy!r}{hint}")
        return None
    return handler if ok else None
