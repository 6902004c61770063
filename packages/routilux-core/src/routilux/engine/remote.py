"""Running a handler in another process: :class:`RemoteCall` goes there, :class:`RemoteResult` comes back.

On the worker the handler runs with a :class:`CapturingRouter` as its routine's
``_current_flow``: emits and ``send_output`` calls are captured, not routed,
and travel back in the result; the engine routes them where the job lives
(see :meth:`routilux.engine.runtime.Engine.finish_remote`).
"""

from __future__ import annotations

import time
from typing import Any, final

import attrs

from routilux.job_context import current_job_state

__all__ = ["CapturingRouter", "RemoteCall", "RemoteResult"]


@attrs.frozen(kw_only=True)
class RemoteResult:
    """What a remote activation sends back: its emits, in order, its failure if any, and
    ``handler_seconds``, the time the handler ran (measured where it ran; 0 if it never did)."""

    emits: tuple[tuple[str, dict[str, Any]], ...] = ()
    #: ``(output_type, data)`` of each ``send_output`` of the handler, in order.
    outputs: tuple[tuple[str, dict[str, Any]], ...] = ()
    error: BaseException | None = None
    error_text: str | None = None
    handler_seconds: float = 0.0

    @classmethod
    def lost(cls, reason: str) -> RemoteResult:
        """The result of an activation whose worker died or vanished."""
        return cls(error=RuntimeError(reason), error_text=reason)


@final
class CapturingRouter:
    """Stands in for the flow and the job while a handler runs remotely: collects emits and outputs.

    It is the routine's ``_current_flow`` (its own :class:`~routilux.router.Router`)
    and the current job of the handler, so ``emit`` is captured and
    ``send_output`` reaches the job's output handler and ``output_log`` as
    it does in-process.
    """

    def __init__(self, routine_id: str | None) -> None:
        self.routine_id = routine_id
        self.emits: list[tuple[str, dict[str, Any]]] = []
        self.outputs: list[tuple[str, dict[str, Any]]] = []

    @property
    def router(self) -> CapturingRouter:
        return self

    def route(self, event: Any, data: dict[str, Any], job_state: Any) -> None:
        self.emits.append((event.name, data))

    def report_slot_error(self, slot: Any, data: dict[str, Any], error: Exception, job_state: Any) -> None:
        raise error  # a nested direct delivery failed: the remote activation fails with it

    def routine_id_of(self, routine: Any) -> str | None:
        return self.routine_id

    def send_output(self, routine_id: str, output_type: str, data: dict[str, Any]) -> None:
        self.outputs.append((output_type, data))


@attrs.frozen(kw_only=True)
class RemoteCall:
    """A handler call to run in another process: picklable if the routine is."""

    routine: Any
    slot_name: str
    merged: Any
    #: The routine's id in its flow (what its outputs are sent under).
    routine_id: str | None = None

    def run(self) -> RemoteResult:
        """Run the handler here, capturing its emits; never raises."""
        routine = self.routine
        slot = routine._slots[self.slot_name]
        capture = CapturingRouter(self.routine_id)
        previous = routine._current_flow
        routine._current_flow = capture
        # A marker job, so that emits take the flow path (and are captured).
        token = current_job_state.set(capture)
        started = time.perf_counter()
        try:
            slot.invoke(self.merged)
        except Exception as error:
            seconds = time.perf_counter() - started
            import traceback  # only on a failure, and on the worker

            return RemoteResult(
                emits=tuple(capture.emits), outputs=tuple(capture.outputs), error=_portable(error),
                error_text=traceback.format_exc(),
                handler_seconds=seconds,
            )
        finally:
            current_job_state.reset(token)
            routine._current_flow = previous
        return RemoteResult(
            emits=tuple(capture.emits), outputs=tuple(capture.outputs),
            handler_seconds=time.perf_counter() - started,
        )


def _portable(error: BaseException) -> BaseException:
    """The error itself if it pickles, else a RuntimeError carrying its text."""
    import pickle  # only on a failure, and on the worker

    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error
