"""``routilux.flow``: the Flow class and the 0.10 task types."""

from routilux.flow.flow import Flow
from routilux.flow.task import SlotActivationTask, TaskPriority

__all__ = ["Flow", "SlotActivationTask", "TaskPriority"]
