"""Running a handler in another process: :class:`RemoteCall` goes there, :class:`RemoteResult` comes back.

On the worker the handler runs with a :class:`CapturingRouter` as its routine's
``_current_flow`` and a :class:`RemoteJob` as its current job: emits, outputs,
deferred events and routine-state updates are captured, not applied, and
travel back in the result; the engine applies them where the job lives (see
:meth:`routilux.engine.runtime.Engine.finish_remote`). Anything else of the
flow or the job is not there, and asking for it raises
:class:`RemoteContextError` saying so, rather than failing obscurely or
changing a copy that nobody sees.
"""

from __future__ import annotations

import time
from typing import Any, NoReturn, final

import attrs

from routilux.job_context import current_job_state

__all__ = ["CapturingRouter", "RemoteCall", "RemoteContextError", "RemoteJob", "RemoteResult"]


class RemoteContextError(AttributeError):
    """A handler running in another process used a part of its flow or job that is not there.

    An ``AttributeError``, so ``hasattr`` and ``getattr(..., default)`` probes see a missing
    attribute; the message names what was asked for, the routine, and the way out.
    """


def _not_there(whole: str, name: str, routine_id: str | None) -> NoReturn:
    routine = repr(routine_id) if routine_id is not None else "(not in a flow)"
    way_out = (f" To use {whole}.{name}, run the routine locally: "
               f"flow.set_routine_executor({routine_id!r}, 'sequential')." if routine_id is not None else "")
    raise RemoteContextError(
        f"{whole}.{name} is not available to the handler of routine {routine}: it runs on a remote "
        f"executor, in another process than its flow and job. From there only emit(), "
        f"send_output(), emit_deferred_event() and job_state.update_routine_state() reach the job "
        f"(applied when the activation's result comes back).{way_out}"
    )


@attrs.frozen(kw_only=True)
class RemoteResult:
    """What a remote activation sends back: what its handler emitted and sent to the job, in order,
    its failure if any, and ``handler_seconds``, the time the handler ran (measured where it ran;
    0 if it never did)."""

    emits: tuple[tuple[str, dict[str, Any]], ...] = ()
    #: ``(output_type, data)`` of each ``send_output`` of the handler, in order.
    outputs: tuple[tuple[str, dict[str, Any]], ...] = ()
    #: ``(routine_id, event_name, data)`` of each ``emit_deferred_event`` of the handler, in order.
    deferred: tuple[tuple[str, str, dict[str, Any]], ...] = ()
    #: ``(routine_id, state)`` of each ``job_state.update_routine_state`` of the handler, in order.
    states: tuple[tuple[str, dict[str, Any]], ...] = ()
    error: BaseException | None = None
    error_text: str | None = None
    handler_seconds: float = 0.0

    @classmethod
    def lost(cls, reason: str) -> RemoteResult:
        """The result of an activation whose worker died or vanished."""
        return cls(error=RuntimeError(reason), error_text=reason)


@final
class CapturingRouter:
    """Stands in for the flow while a handler runs remotely, and collects what the handler sends.

    It is the routine's ``_current_flow`` (its own :class:`~routilux.router.Router`), so
    ``emit`` is captured; its :attr:`job` is the handler's current job. Any other attribute
    of the flow raises :class:`RemoteContextError`.
    """

    def __init__(self, routine_id: str | None) -> None:
        self.routine_id = routine_id
        self.emits: list[tuple[str, dict[str, Any]]] = []
        self.outputs: list[tuple[str, dict[str, Any]]] = []
        self.deferred: list[tuple[str, str, dict[str, Any]]] = []
        self.states: list[tuple[str, dict[str, Any]]] = []
        self.job = RemoteJob(self)

    @property
    def router(self) -> CapturingRouter:
        return self

    def route(self, event: Any, data: dict[str, Any], job_state: Any) -> None:
        self.emits.append((event.name, data))

    def report_slot_error(self, slot: Any, data: dict[str, Any], error: Exception, job_state: Any) -> None:
        raise error  # a nested direct delivery failed: the remote activation fails with it

    def routine_id_of(self, routine: Any) -> str | None:
        return self.routine_id

    def result(self, error: BaseException | None = None, error_text: str | None = None,
               handler_seconds: float = 0.0) -> RemoteResult:
        """Everything captured so far, as the activation's result."""
        return RemoteResult(
            emits=tuple(self.emits), outputs=tuple(self.outputs), deferred=tuple(self.deferred),
            states=tuple(self.states), error=error, error_text=error_text, handler_seconds=handler_seconds,
        )

    def __getattr__(self, name: str) -> NoReturn:
        _not_there("flow", name, self.__dict__.get("routine_id"))


@final
class RemoteJob:
    """The job as a handler running remotely sees it (``get_execution_context().job_state``).

    ``send_output``, ``add_deferred_event`` (what ``emit_deferred_event`` calls) and
    ``update_routine_state`` are captured and applied to the real job when the result comes
    back; any other attribute raises :class:`RemoteContextError`.
    """

    def __init__(self, capture: CapturingRouter) -> None:
        self._capture = capture

    def send_output(self, routine_id: str, output_type: str, data: dict[str, Any]) -> None:
        self._capture.outputs.append((output_type, data))

    def add_deferred_event(self, routine_id: str, event_name: str, data: dict[str, Any]) -> None:
        self._capture.deferred.append((routine_id, event_name, data))

    def update_routine_state(self, routine_id: str, state: dict[str, Any]) -> None:
        self._capture.states.append((routine_id, dict(state)))

    def __getattr__(self, name: str) -> NoReturn:
        _not_there("job_state", name, self.__dict__["_capture"].routine_id)


@attrs.frozen(kw_only=True)
class RemoteCall:
    """A handler call to run in another process: picklable if the routine is."""

    routine: Any
    slot_name: str
    merged: Any
    #: The routine's id in its flow (what its outputs are sent under).
    routine_id: str | None = None

    def run(self) -> RemoteResult:
        """Run the handler here, capturing what it emits and sends to the job; never raises."""
        routine = self.routine
        slot = routine._slots[self.slot_name]
        capture = CapturingRouter(self.routine_id)
        previous = routine._current_flow
        routine._current_flow = capture
        # The job stand-in is also what makes emits take the flow path (and be captured).
        token = current_job_state.set(capture.job)
        started = time.perf_counter()
        try:
            slot.invoke(self.merged)
        except Exception as error:
            seconds = time.perf_counter() - started
            import traceback  # only on a failure, and on the worker

            return capture.result(_portable(error), traceback.format_exc(), seconds)
        finally:
            current_job_state.reset(token)
            routine._current_flow = previous
        return capture.result(handler_seconds=time.perf_counter() - started)


def _portable(error: BaseException) -> BaseException:
    """The error itself if it pickles, else a RuntimeError carrying its text."""
    import pickle  # only on a failure, and on the worker

    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error
