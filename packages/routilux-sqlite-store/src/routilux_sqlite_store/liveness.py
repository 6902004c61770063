"""Whether the owner of a job is still alive: its process on this host, else its lease.

A job's row holds its owner's host, pid, the start time of that process (when
it ran on Linux: field 22 of ``/proc/<pid>/stat``, in clock ticks since boot)
and the lease the owner renews while it runs. The owner is dead when its lease
has expired, or when it ran on this host and its pid is gone or now belongs to
a process started at another time (a reused pid).
"""

from __future__ import annotations

import os
import socket
import sys

__all__ = ["HOST", "is_dead", "process_started"]

#: This machine's name, as owners on it record it.
HOST = socket.gethostname()

# os.kill(pid, 0) on Windows sends CTRL_C_EVENT (0) instead of probing: only leases count there.
_CAN_PROBE = sys.platform != "win32"


def process_started(pid: int) -> str | None:
    """When process ``pid`` started (opaque text, comparable for one pid), or None if unknown."""
    try:
        with open(f"/proc/{pid:d}/stat", "rb") as handle:
            text = handle.read().decode("ascii", "replace")
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: count from its end.
    fields = text[text.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else None


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    except OSError:
        return False  # an invalid pid (e.g. 0 or negative) runs nothing of ours
    return True


def is_dead(
    host: str | None, pid: int | None, started: str | None, lease_until: float | None, now: float
) -> bool:
    """Whether an owner recorded as ``host``/``pid``/``started``/``lease_until`` is dead at ``now``.

    A job without an owner is dead (nobody runs it).
    """
    if host is None or pid is None:
        return True
    if lease_until is None or lease_until < now:
        return True
    if host != HOST or not _CAN_PROBE:
        return False
    if not _pid_exists(pid):
        return True
    return started is not None and process_started(pid) not in (None, started)
