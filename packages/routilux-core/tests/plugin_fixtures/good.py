"""A well-behaved plugin providing one record of every kind."""

from __future__ import annotations

import datetime as dt
import enum
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from routilux.plugins import (
    ErrorStrategySpec,
    ExecutorSpec,
    RoutineSpec,
    SerializerSpec,
    hookimpl,
)


class FixtureRoutine:
    """Stands for a routine class; the registry itself does not look inside it."""


def ignore_errors(handler: Any, error: BaseException, context: Any) -> str:
    return "continue"


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, enum.Enum):
        return value.value
    raise TypeError(f"cannot encode {value!r}")


def _decode(obj: dict[str, Any]) -> Any:
    if set(obj) == {"__datetime__"}:
        return dt.datetime.fromisoformat(obj["__datetime__"])
    return obj


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, default=_encode, ensure_ascii=False).encode("utf-8")


def loads(data: bytes) -> Any:
    return json.loads(data.decode("utf-8"), object_hook=_decode)


class ThreadExecutor:
    """Runs each activation on a small thread pool, started lazily (also after shutdown)."""

    def __init__(self, max_workers: int = 1, **_options: Any) -> None:
        self._max_workers = max_workers
        self._pool: ThreadPoolExecutor | None = None
        self._runner: Any = None
        self._lock = threading.Lock()

    def start(self, runner: Any) -> None:
        self._runner = runner

    def submit(self, activation: Any) -> None:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._max_workers, thread_name_prefix="fixture-executor")
            self._pool.submit(self._runner.run, activation)

    def shutdown(self, wait: bool = True) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait)


@hookimpl
def routilux_register_routines() -> list[RoutineSpec]:
    return [RoutineSpec(name="FixtureRoutine", cls=FixtureRoutine, category="fixtures")]


@hookimpl
def routilux_register_error_strategies() -> list[ErrorStrategySpec]:
    return [ErrorStrategySpec(name="fixture-ignore", decide=ignore_errors)]


@hookimpl
def routilux_register_serializers() -> list[SerializerSpec]:
    return [SerializerSpec(name="fixture-json", dumps=dumps, loads=loads, suffixes=(".fixjson", ".fix.json"))]


@hookimpl
def routilux_register_executors() -> list[ExecutorSpec]:
    return [ExecutorSpec(name="fixture-threads", factory=ThreadExecutor)]
