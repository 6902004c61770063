"""The context variable that carries the current JobState into handlers.

It lives in its own module so that every part of the object model can read it
without importing the routine module (and so without an import cycle);
``routilux.routine._current_job_state`` is the public spelling.
"""

from __future__ import annotations

import contextvars
from typing import Any

_current_job_state: contextvars.ContextVar[Any] = contextvars.ContextVar(
    "routilux_current_job_state", default=None
)
