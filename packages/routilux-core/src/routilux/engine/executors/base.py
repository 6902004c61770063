"""The executor contract: what an executor plugin's factory returns, and what the engine offers it.

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

  State a handler mutates on a remote routine stays there: what comes back
  is its emits, ``send_output`` calls, deferred events and
  ``update_routine_state`` calls, applied to the job (in that order, emits
  last) as if the handler had run here. Any other use of the flow or the job
  in a remote handler raises :class:`~routilux.engine.remote.RemoteContextError`.
  Routines (their class, config and slot handlers) must be picklable.

Ordering: an executor with ``max_workers=1`` that runs activations in submit
order gives the strict FIFO order of sequential mode; others promise none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, final

import attrs

if TYPE_CHECKING:
    from routilux.engine.activation import Activation
    from routilux.engine.remote import RemoteCall, RemoteResult

__all__ = ["ActivationRunner", "Executor", "ExecutorChoice"]


class ActivationRunner(Protocol):
    """What the flow's engine offers an executor."""

    def run(self, activation: Activation) -> None:
        """Run ``activation`` in this thread; never raises."""

    def prepare_remote(self, activation: Activation) -> RemoteCall | None:
        """Merge locally and describe the handler call for another process (None: nothing to run)."""

    def finish_remote(self, activation: Activation, result: RemoteResult) -> None:
        """Count, route and settle what a remote run sent back."""


class Executor(Protocol):
    """What an executor plugin's factory returns."""

    def start(self, runner: ActivationRunner) -> None:
        """Called once before the first ``submit`` (again after a ``shutdown``)."""

    def submit(self, activation: Activation) -> None:
        """Run ``activation`` some time, somewhere; called from any thread."""

    def shutdown(self, wait: bool = True) -> None:
        """Stop, after the work submitted so far when ``wait``."""


@final
@attrs.frozen(eq=False, kw_only=True)
class ExecutorChoice:
    """An executor plugin by ``name`` with its settings: what ``flow.set_routine_executor`` chose.

    Compared by identity: the flow hands out one choice per distinct setting, and
    the routines given the same choice share one executor.
    """

    name: str
    max_workers: int
    options: dict[str, Any] = attrs.field(factory=dict)
