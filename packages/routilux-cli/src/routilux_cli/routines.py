"""Routines for flow files: ``FlowInput`` starts a job, ``FlowOutput`` shows its results.

No standard routine has the ``trigger`` slot that ``Flow.execute`` calls, so a
flow file starts with a ``FlowInput``; ``FlowOutput`` hands what it receives
to the job's output handler (``routilux run`` prints it).
"""

from __future__ import annotations

from typing import Any

from routilux.routine import Routine

__all__ = ["FlowInput", "FlowOutput"]


class FlowInput(Routine):
    """Entry routine: emits the job's entry parameters.

    Slot ``trigger`` (the entry params); events ``output`` and ``done``.
    Config: ``each`` (None, or the name of a list parameter: one ``output`` per
    element instead of one for all params) and ``item_key`` (``"item"``: the
    key under which each element is emitted, next to ``index`` and the other
    params). ``done`` is emitted last with ``count``, the number of ``output`` emits.
    """

    def __init__(self) -> None:
        super().__init__()
        self.set_config(each=None, item_key="item")
        self.define_slot("trigger", self._on_trigger)
        self.define_event("output", [])
        self.define_event("done", ["count"])

    def _on_trigger(self, **params: Any) -> None:
        each: str | None = self.get_config("each")
        if each is None:
            self.emit("output", **params)
            self.emit("done", count=1)
            return
        if each not in params:
            raise ValueError(f"FlowInput: entry parameter {each!r} (config 'each') is missing")
        items = params[each]
        if not isinstance(items, (list, tuple)):
            raise TypeError(f"FlowInput: entry parameter {each!r} must be a list, got {type(items).__name__}")
        key = self.get_config("item_key") or "item"
        rest = {k: v for k, v in params.items() if k != each}
        for index, item in enumerate(items):
            self.emit("output", **{**rest, key: item, "index": index})
        self.emit("done", count=len(items))


class FlowOutput(Routine):
    """Sink routine: sends what it receives to the job's output (``routilux run`` prints it).

    Slot ``input``. Config: ``output_type`` (``"result"``), ``keys`` (None for
    the whole payload, or the list of payload keys to keep). Outside a job
    (a direct call) the payloads are kept in ``outputs`` instead.
    """

    def __init__(self) -> None:
        super().__init__()
        self.set_config(output_type="result", keys=None)
        self.outputs: list[dict[str, Any]] = []
        self.define_slot("input", self._on_input)

    def _on_input(self, **payload: Any) -> None:
        keys = self.get_config("keys")
        if keys is not None:
            payload = {k: payload[k] for k in keys if k in payload}
        if self.get_execution_context() is None:
            self.outputs.append(payload)
            return
        self.send_output(self.get_config("output_type") or "result", **payload)
