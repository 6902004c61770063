"""What crosses from the flow's process to a dask worker and back.

The client side pickles a :class:`~routilux.RemoteCall` with
:func:`dumps_call` (a *snapshot* of the routine that owns the slot: its class,
its attributes, its slots and events, and the merged data; not the flow, the
other routines, the slot's buffered data or its lock). A worker runs it with
:func:`run_remote_batch` (one direct call or dask task may carry several
calls; see :mod:`routilux_dask.dispatch`) and sends each
:class:`~routilux.RemoteResult` back pickled. :func:`lost_errors` names the
exceptions of a batch's outcome that mean its worker or the cluster is gone, and
:func:`result_of` turns an outcome into the activation's result.

Everything a worker runs is a module-level function of this module, so that
workers import it by reference from an installed ``routilux_dask``.
"""

from __future__ import annotations

import copyreg
import io
import logging
import pickle
import traceback
from typing import Any

import cloudpickle  # type: ignore[import-untyped]

from routilux import RemoteCall, RemoteResult, Slot

logger = logging.getLogger("routilux_dask")

__all__ = [
    "RoutinePicklingError",
    "describe_routine",
    "dumps_call",
    "lost_errors",
    "result_of",
    "run_remote_batch",
    "run_remote_call",
]


class RoutinePicklingError(TypeError):
    """A routine (or the data of its activation) cannot be pickled for the dask executor."""


def _set_state(obj: Any, state: dict[str, Any]) -> None:
    obj.__setstate__(state)


class _SnapshotPickler(cloudpickle.Pickler):
    """cloudpickle, with slots shipped without their buffered data.

    Routines, slots and events pickle detached from the graph and from the
    flow (see their ``__getstate__`` in routilux); the slot's ``_data`` stays
    behind too, since merging happens in the flow's process and an ``append``
    buffer would otherwise travel with every activation.
    """

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, Slot):
            state = obj.__getstate__()
            state["_data"] = {}
            # __newobj__ (missing from typeshed) pickles as the compact NEWOBJ opcode.
            return copyreg.__newobj__, (type(obj),), state, None, None, _set_state  # type: ignore[attr-defined]
        return super().reducer_override(obj)


def describe_routine(routine: Any, routine_id: str | None = None) -> str:
    """``'sink' (Collector)``: a routine's id (its id in the flow, else its own) and its class.

    Args:
        routine: the routine to name.
        routine_id: its id in its flow, when known.
    """
    if routine_id is None:
        routine_id = getattr(routine, "_id", None)
    return f"{routine_id!r} ({type(routine).__name__})"


def dumps_call(call: RemoteCall, routine_id: str | None = None) -> bytes:
    """Pickle ``call`` as the dask executor ships it (a snapshot of its routine).

    Useful to check a routine before running a flow on a cluster.

    Args:
        call: the handler call to pickle.
        routine_id: the routine's id for the error message; defaults to
            ``call.routine_id``, then to the routine's own ``_id``.

    Raises:
        RoutinePicklingError: the routine, its attributes, handlers or the
            merged data cannot be pickled; the message names the routine.
    """
    buffer = io.BytesIO()
    try:
        _SnapshotPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(call)
    except Exception as error:
        name = describe_routine(call.routine, routine_id if routine_id is not None else call.routine_id)
        raise RoutinePicklingError(
            f"routine {name} cannot be pickled for the dask executor "
            f"(slot {call.slot_name!r}): {type(error).__name__}: {error}. Routines run by the dask "
            "executor, their attributes, handlers and merged data must be picklable with cloudpickle."
        ) from error
    return buffer.getvalue()


def run_remote_call(payload: bytes, routine_name: str) -> bytes:
    """Run a pickled :class:`~routilux.RemoteCall` on a worker; return the pickled result.

    The result is pickled here, on the worker, so that an unpicklable emit
    payload becomes a clear error of the activation instead of a failed task.

    Args:
        payload: the call, as pickled by :func:`dumps_call`.
        routine_name: the routine as :func:`describe_routine` names it, for messages.
    """
    call: RemoteCall = pickle.loads(payload)
    result = call.run()
    try:
        data: bytes = cloudpickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as error:
        text = (
            f"routine {routine_name} emitted data that cannot be pickled back from the dask worker: "
            f"{type(error).__name__}: {error}"
        )
        data = cloudpickle.dumps(
            RemoteResult(error=RoutinePicklingError(text), error_text=text), protocol=pickle.HIGHEST_PROTOCOL
        )
    return data


def run_remote_batch(payloads: list[bytes], routine_names: list[str]) -> list[bytes]:
    """Run several pickled calls, in order, in one dask task (one scheduler round trip for all)."""
    return [run_remote_call(payload, name) for payload, name in zip(payloads, routine_names)]


def lost_errors() -> tuple[type[BaseException], ...]:
    """The exceptions of a task's result that mean its worker or the cluster is gone.

    A function, not a constant, so that importing this module does not import
    ``distributed`` (plugin discovery imports routilux_dask).
    """
    from concurrent.futures import CancelledError

    from distributed.comm.core import CommClosedError
    from distributed.scheduler import KilledWorker

    return (KilledWorker, CommClosedError, CancelledError, ConnectionError, TimeoutError)


def result_of(
    routine_name: str, data: bytes | None, error: BaseException | None, lost: tuple[type[BaseException], ...]
) -> RemoteResult:
    """The :class:`~routilux.RemoteResult` of one activation, from what its batch brought back.

    Args:
        routine_name: the routine as :func:`describe_routine` names it, for messages.
        data: the activation's pickled result (None when the batch failed).
        error: why the batch failed, if it did.
        lost: the errors that mean the worker or the cluster is gone (:func:`lost_errors`).
    """
    if isinstance(error, RoutinePicklingError):
        return RemoteResult(error=error, error_text=str(error))
    if error is not None:
        if isinstance(error, lost):
            reason = f"worker running routine {routine_name} died: {type(error).__name__}: {error}"
            logger.error("%s", reason)
            return RemoteResult.lost(reason)
        message = f"routine {routine_name} could not run on a dask worker: {type(error).__name__}: {error}"
        text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        return RemoteResult(error=RuntimeError(message), error_text=f"{message}\n{text}")
    try:
        result: RemoteResult = pickle.loads(data)  # type: ignore[arg-type]
    except Exception as failure:
        message = (
            f"the result of routine {routine_name} cannot be unpickled here: "
            f"{type(failure).__name__}: {failure}"
        )
        return RemoteResult(error=RuntimeError(message), error_text=message)
    return result
