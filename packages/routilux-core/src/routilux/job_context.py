"""The context variable that carries the current JobState into handlers.

It lives in its own leaf module so that every part of the object model can
read it without importing the routine module; the 0.10 API spells it
``routilux.routine._current_job_state``, which is this same variable.
"""

from __future__ import annotations

import contextvars
from typing import Any

__all__ = ["current_job_state"]

#: The JobState whose activation runs in this context (None outside any job).
current_job_state: contextvars.ContextVar[Any] = contextvars.ContextVar(
    "routilux_current_job_state", default=None
)
