"""The executor contract.

An executor decides *where and when* slot activations run; the flow's
:class:`~routilux.engine.runtime.Engine` decides *what* running one means.
Executors are registered through the ``routilux_register_executors`` hook
(:class:`~routilux.plugins.specs.ExecutorSpec`) and created by the flow as
``factory(max_workers=<int>, **options)``.

Life cycle: the flow calls ``start(runner)`` once, then ``submit(activation)``
any number of times from any thread, and ``shutdown(wait)`` when it is shut
down; after a shutdown the flow calls ``start`` again before submitting more.

An *activation* is an opaque value; the executor only hands it back to the
runner. Two ways to run it:

* **In this process.** Call ``runner.run(activation)`` on a thread of the
  executor. It merges the data into the slot, calls the handler, routes the
  handler's emits (which become new ``submit`` calls), applies the error
  strategy and does the job's accounting. It never raises.
* **Elsewhere** (another process or machine). Call
  ``call = runner.prepare_remote(activation)`` locally: it merges the slot
  data and returns a picklable :class:`RemoteCall`, or None when the
  activation must not run (its job was paused or cancelled; the runner has
  already dealt with it). Ship ``call`` to the worker and run
  ``result = call.run()`` there: the handler runs with its emits captured,
  not routed. Bring ``result`` (a picklable :class:`RemoteResult`) back and
  call ``runner.finish_remote(activation, result)`` on any local thread: the
  flow counts the outcome and the handler time the result carries (the job's
  ``routine_stats()``), routes the captured emits and applies the error
  strategy exactly as for a local run. If the worker is lost, call
  ``runner.finish_remote(activation, RemoteResult.lost(reason))``.

  State a handler mutates on a remote routine stays there: only emits come
  back. Routines (their class, config and slot handlers) must be picklable.

Ordering: an executor with ``max_workers=1`` that runs activations in submit
order gives the strict FIFO order of sequential mode; others promise none.
"""

from __future__ import annotations

import time
from typing import Any, Dict, List, Optional, Protocol, Tuple

import attrs

from routilux._context import _current_job_state

Activation = Any


class ActivationRunner(Protocol):
    """What the flow's engine offers an executor."""

    def run(self, activation: Activation) -> None: ...

    def prepare_remote(self, activation: Activation) -> Optional["RemoteCall"]: ...

    def finish_remote(self, activation: Activation, result: "RemoteResult") -> None: ...


class Executor(Protocol):
    """What an executor plugin's factory returns."""

    def start(self, runner: ActivationRunner) -> None: ...

    def submit(self, activation: Activation) -> None: ...

    def shutdown(self, wait: bool = True) -> None: ...


@attrs.frozen(kw_only=True)
class RemoteResult:
    """What a remote activation sends back: its emits, in order, its failure if any, and
    ``handler_seconds``, the time the handler ran (measured where it ran; 0 if it never did)."""

    emits: Tuple[Tuple[str, Dict[str, Any]], ...] = ()
    #: ``(output_type, data)`` of each ``send_output`` of the handler, in order.
    outputs: Tuple[Tuple[str, Dict[str, Any]], ...] = ()
    error: Optional[BaseException] = None
    error_text: Optional[str] = None
    handler_seconds: float = 0.0

    @classmethod
    def lost(cls, reason: str) -> "RemoteResult":
        """The result of an activation whose worker died or vanished."""
        return cls(error=RuntimeError(reason), error_text=reason)


class _EmitCapture:
    """Stands in for the flow and the job while a handler runs remotely: collects emits and outputs.

    ``send_output`` is captured too, so a sink routine's outputs reach the
    job's output handler and ``output_log`` as they do in-process.
    """

    def __init__(self, routine_id: Optional[str]) -> None:
        self.routine_id = routine_id
        self.emits: List[Tuple[str, Dict[str, Any]]] = []
        self.outputs: List[Tuple[str, Dict[str, Any]]] = []

    def _route(self, event: Any, payload: Dict[str, Any], job_state: Any) -> None:
        self.emits.append((event.name, payload))

    def _get_routine_id(self, routine: Any) -> Optional[str]:
        return self.routine_id

    def send_output(self, routine_id: str, output_type: str, data: Dict[str, Any]) -> None:
        self.outputs.append((output_type, data))


@attrs.frozen(kw_only=True)
class RemoteCall:
    """A handler call to run in another process: picklable if the routine is."""

    routine: Any
    slot_name: str
    merged: Any
    #: The routine's id in its flow (what its outputs are sent under).
    routine_id: Optional[str] = None

    def run(self) -> RemoteResult:
        """Run the handler here, capturing its emits; never raises."""
        routine = self.routine
        slot = routine._slots[self.slot_name]
        capture = _EmitCapture(self.routine_id)
        previous = routine._current_flow
        routine._current_flow = capture
        # A marker job, so that emits take the flow path (and are captured).
        token = _current_job_state.set(capture)
        started = time.perf_counter()
        try:
            slot._invoke(self.merged)
        except Exception as error:
            seconds = time.perf_counter() - started
            import traceback

            return RemoteResult(
                emits=tuple(capture.emits), outputs=tuple(capture.outputs), error=_portable(error),
                error_text=traceback.format_exc(),
                handler_seconds=seconds,
            )
        finally:
            _current_job_state.reset(token)
            routine._current_flow = previous
        return RemoteResult(
            emits=tuple(capture.emits), outputs=tuple(capture.outputs),
            handler_seconds=time.perf_counter() - started,
        )


def _portable(error: BaseException) -> BaseException:
    """The error itself if it pickles, else a RuntimeError carrying its text."""
    import pickle

    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error
