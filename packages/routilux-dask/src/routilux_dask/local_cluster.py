"""The LocalCluster of the dask executor: one per process, shared, started on first use.

A flow given neither ``address`` nor ``client`` (nor dask's ``scheduler-address``
setting) runs on a ``LocalCluster`` of this process. Starting one takes about a
second, so every such flow asking for the same cluster shape shares one: it is
started by the first flow that needs it and closed when the interpreter exits.

Worker *processes* are started with ``multiprocessing`` (``spawn`` by default),
which re-imports the main module in each of them. A script that builds and runs a
dask flow at module level, without ``if __name__ == "__main__":``, would start a
cluster again in every worker; multiprocessing refuses and the workers die. That
failure becomes one :class:`DaskStartupError` in the script's process, and each
worker exits with a single line instead of its tracebacks.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import sys
import threading
from typing import Any

__all__ = ["DaskStartupError", "close_shared_clusters", "shared_local_cluster"]

logger = logging.getLogger("routilux_dask")


class DaskStartupError(RuntimeError):
    """The dask executor's LocalCluster could not start its worker processes.

    The error dask raised is the exception's ``__context__`` (not printed with it:
    dask's own chain is long and says nothing about the cause).
    """


_lock = threading.Lock()
#: (the LocalCluster options, the cluster), one entry per cluster shape asked for; under _lock.
_clusters: list[tuple[dict[str, Any], Any]] = []
_closing_registered = False


def shared_local_cluster(options: dict[str, Any]) -> Any:
    """The process's running ``LocalCluster`` started with ``options``, started now if there is none.

    Args:
        options: keyword arguments for ``distributed.LocalCluster``; clusters
            are shared between callers giving equal options.

    Raises:
        DaskStartupError: its worker processes could not start, most likely
            because they re-import a main module that starts a flow.
    """
    global _closing_registered
    with _lock:
        for known, cluster in _clusters:
            if known == options and cluster.status.name == "running":
                return cluster
        cluster = _start(options)
        # A cluster of this shape that stopped (closed by hand, or its scheduler failed) is replaced.
        _clusters[:] = [(known, other) for known, other in _clusters if known != options]
        _clusters.append((dict(options), cluster))
        if not _closing_registered:
            atexit.register(close_shared_clusters)
            _closing_registered = True
        return cluster


def _start(options: dict[str, Any]) -> Any:
    from distributed import LocalCluster

    processes = options.get("processes", True)
    if processes and _bootstrapping():
        # This process is a multiprocessing child still importing the main module: starting
        # processes here is refused by multiprocessing, and a traceback from every worker would
        # bury the parent's DaskStartupError. One line, and the worker ends.
        raise SystemExit(
            "routilux-dask: not starting a LocalCluster in a worker process that is re-importing the "
            'main module; put the script\'s code under `if __name__ == "__main__":`'
        )
    try:
        return LocalCluster(**options)
    except RuntimeError as error:
        if not (processes and _workers_import_main()):
            raise
        raise DaskStartupError(
            f"the dask executor could not start the worker processes of its LocalCluster ({error}). "
            f"Each worker process re-imports the main module {_main_file()!r}, so a script that "
            "creates and runs a dask flow at module level starts it again in every worker, and they "
            'fail. Put the script\'s code under `if __name__ == "__main__":`, or run the workers as '
            'threads with executor_options={"processes": False}, or give the flow an existing '
            'cluster with executor_options={"address": ...}.'
        ) from None


def _bootstrapping() -> bool:
    """Whether this process is a multiprocessing child that has not finished importing the main module.

    ``_inheriting`` is the flag multiprocessing itself checks before refusing to
    start a process ("...before the current process has finished its
    bootstrapping phase"); it is absent outside that phase.
    """
    return bool(getattr(multiprocessing.current_process(), "_inheriting", False))


def _workers_import_main() -> bool:
    """Whether the LocalCluster's worker processes re-import this process's main module."""
    import dask

    method = dask.config.get("distributed.worker.multiprocessing-method", "spawn")
    return method in ("spawn", "forkserver") and _main_file() is not None


def _main_file() -> str | None:
    return getattr(sys.modules.get("__main__"), "__file__", None)


def close_shared_clusters() -> None:
    """Close the shared LocalClusters now; the next flow that needs one starts it again.

    Runs at interpreter exit (before dask's own exit handlers, registered
    earlier). Call it sooner to free the workers of a long-lived process, or
    where the log streams close before the interpreter exits (pytest's
    captured output). Executors still using a cluster lose their workers.
    """
    with _lock:
        clusters = [cluster for _, cluster in _clusters]
        _clusters.clear()
    for cluster in clusters:
        try:
            cluster.close()
        except Exception:
            logger.warning("Closing the shared dask LocalCluster failed", exc_info=True)
