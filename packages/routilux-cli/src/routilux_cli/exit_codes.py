"""The exit statuses of the ``routilux`` commands (importing this costs nothing).

``routilux_cli.run_report`` re-exports them with the outcome of a run that picks one.
"""

from __future__ import annotations

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE"]

#: The job completed with no unhandled error (or the command did what it was asked).
EXIT_OK = 0
#: The job failed, was cancelled or had unhandled errors; or a valid request its status rules out.
EXIT_FAILED = 1
#: Bad input: an invalid flow file or option, an unknown job id, a store that cannot be opened.
EXIT_USAGE = 2
