"""The contract of plugins that register executors (``routilux_register_executors``)."""

from __future__ import annotations

from typing import Any, ClassVar

from routilux.testing.contract import PluginContract
from routilux.testing.registries import use_registry

__all__ = ["ExecutorPluginContract"]


class ExecutorPluginContract(PluginContract):
    """Contract for plugins implementing ``routilux_register_executors``.

    Set ``plugin`` and ``executor`` (the name to check); ``ordered = True`` if
    the executor promises to run the activations of one slot in emit order.
    The tests drive the executor only through the public flow API, with
    core's built-in plugins registered too.
    """

    executor: ClassVar[str]
    ordered: ClassVar[bool] = False
    messages: ClassVar[int] = 20
    timeout: ClassVar[float] = 30.0
    #: Passed to the executor's factory (``Flow(executor_options=...)``).
    executor_options: ClassVar[dict[str, Any]] = {}

    def _build_flow(self) -> tuple[Any, Any]:
        from routilux import Flow, Routine

        class ContractSource(Routine):
            def __init__(self) -> None:
                super().__init__()
                self.define_slot("trigger", self._emit_many)
                self.define_event("out", ["index"])

            def _emit_many(self, **params: Any) -> None:
                for index in range(params.get("n", 0)):
                    self.emit("out", index=index)

        class ContractSink(Routine):
            """Reports each delivery by emitting it, so executors that run handlers in
            other processes (where the sink's own state stays behind) are checked too."""

            def __init__(self) -> None:
                super().__init__()
                # Returning the new data itself keeps concurrent activations from seeing each
                # other's payload through the slot's shared merge buffer.
                self.define_slot("input", self._collect, merge_strategy=lambda old, new: new)
                self.define_event("seen", ["index"])

            def _collect(self, index: int) -> None:
                self.emit("seen", index=index)

        flow = Flow(
            execution_strategy=type(self).executor,
            executor_options=dict(type(self).executor_options),
        )
        flow.add_routine(ContractSource(), "src")
        flow.add_routine(ContractSink(), "sink")
        flow.connect("src", "out", "sink", "input")
        return flow, "sink"

    @staticmethod
    def _seen(job: Any, sink_id: str) -> list[int]:
        return [r.data["index"] for r in job.get_execution_history(sink_id) if r.event_name == "seen"]

    def _run(self, flow: Any) -> Any:
        from routilux import JobState

        job = flow.execute("src", entry_params={"n": type(self).messages})
        finished = JobState.wait_for_completion(flow, job, timeout=type(self).timeout)
        assert finished, f"job did not finish within {type(self).timeout}s (status {job.status!r})"
        return job

    def _close(self, flow: Any) -> None:
        # Bounded: after a failed check the job may never finish, and shutdown waits for jobs.
        flow.shutdown(timeout=type(self).timeout)

    def _check_delivery(self, seen: list[int]) -> None:
        expected = list(range(type(self).messages))
        if type(self).ordered:
            assert seen == expected, f"executor {type(self).executor!r} broke emit order: {seen}"
        else:
            assert sorted(seen) == expected, f"executor {type(self).executor!r} delivered {sorted(seen)}"

    def test_executor_is_registered(self) -> None:
        registry = self.plugin_registry()
        assert type(self).executor in self.provided("executor")
        assert callable(registry.get_executor(type(self).executor).factory)

    def test_delivers_every_message(self) -> None:
        with use_registry(self.plugin_registry(with_builtins=True)):
            flow, sink = self._build_flow()
            try:
                job = self._run(flow)
                assert job.status == "completed", f"status {job.status!r}, expected 'completed'"
                self._check_delivery(self._seen(job, sink))
            finally:
                self._close(flow)

    def test_stop_strategy_fails_the_job(self) -> None:
        from routilux import ErrorHandler, Routine

        class ContractFailing(Routine):
            def __init__(self) -> None:
                super().__init__()
                self.define_slot("input", self._fail)

            def _fail(self, index: int) -> None:
                raise RuntimeError(f"contract failure on message {index}")

        with use_registry(self.plugin_registry(with_builtins=True)):
            flow, _sink = self._build_flow()
            failing = ContractFailing()
            failing.set_error_handler(ErrorHandler(strategy="stop"))
            flow.add_routine(failing, "failing")
            flow.connect("src", "out", "failing", "input")
            try:
                job = self._run(flow)
                assert job.status == "failed", f"status {job.status!r}, expected 'failed'"
            finally:
                self._close(flow)

    def test_runs_again_after_shutdown(self) -> None:
        with use_registry(self.plugin_registry(with_builtins=True)):
            flow, sink = self._build_flow()
            try:
                first = self._run(flow)
                flow.shutdown()
                second = self._run(flow)
                assert (first.status, second.status) == ("completed", "completed")
                assert second.job_id != first.job_id
                self._check_delivery(self._seen(second, sink))
            finally:
                self._close(flow)
