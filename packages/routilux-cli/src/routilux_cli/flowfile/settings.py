"""The flow's settings sections: ``executor`` and the ``error_handler`` of a flow or routine."""

from __future__ import annotations

from typing import Any

from routilux import ErrorHandler
from routilux.error_handler import ErrorStrategy
from routilux_cli.flowfile.names import resolve_exception
from routilux_cli.flowfile.report import Reporter
from routilux_cli.flowfile.schema import EXECUTOR_KEYS, HANDLER_KEYS, did_you_mean, listing

__all__ = ["DEFAULT_MAX_WORKERS", "read_error_handler", "read_executor"]

#: ``max_workers`` of an executor the file does not size.
DEFAULT_MAX_WORKERS = 5


def read_executor(report: Reporter, value: Any) -> tuple[str, int, dict[str, Any]]:
    """``(name, max_workers, options)`` of the ``executor`` section; problems go to ``report``.

    What is wrong is reported and replaced by the default, so the rest of the
    file is still checked.
    """
    from routilux.plugins import PluginError, get_registry

    name: Any = "sequential"
    max_workers: Any = DEFAULT_MAX_WORKERS
    options: Any = {}
    if value is None:
        pass
    elif isinstance(value, str):
        name = value
    elif isinstance(value, dict):
        report.unknown_keys(value, EXECUTOR_KEYS, "executor")
        name = value.get("name", "sequential")
        max_workers = value.get("max_workers", DEFAULT_MAX_WORKERS)
        options = value.get("options", {})
    else:
        report.problem("executor", "executor must be a name or a mapping with name, max_workers, options")
    location = "executor.name" if isinstance(value, dict) else "executor"
    if not isinstance(name, str):
        report.problem(location, f"executor name must be a string, got {name!r}")
        name = "sequential"
    else:
        try:
            executors = get_registry().executors
        except PluginError as error:
            report.problem(location, f"the plugin registry cannot be used: {error}")
        else:
            if name not in executors:
                hint = did_you_mean(name, list(executors)) or listing(list(executors), "registered executors")
                report.problem(location, f"unknown executor {name!r}{hint}")
                name = "sequential"
    if isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers < 1:
        report.problem("executor.max_workers", f"max_workers must be a positive integer, got {max_workers!r}")
        max_workers = DEFAULT_MAX_WORKERS
    if not isinstance(options, dict):
        report.problem("executor.options", "executor options must be a mapping")
        options = {}
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
