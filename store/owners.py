"""Who is writing a run: the owner process (host, pid, process start time) and its liveness.

A pid alone is not enough: pids are reused, so the owner is also known by the time its
process started (``/proc/<pid>/stat``, in clock ticks since boot). On a system without
``/proc`` the start time is empty and only the pid is compared.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import NamedTuple


class Owner(NamedTuple):
    """The process that claimed a running run."""

    host: str
    pid: int
    started: str

    def describe(self) -> str:
        """``process 123 on host``, for messages."""
        return f"process {self.pid} on {self.host}"


def process_start(pid: int) -> str:
    """When process ``pid`` started (clock ticks since boot), or '' when not known."""
    fields = _stat(pid)
    return fields[19] if fields else ""  # field 22 of the whole line: starttime


def _stat(pid: int) -> list[str]:
    """The fields of ``/proc/<pid>/stat`` after the command name (state first), or []."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    return stat[stat.rindex(")") + 2 :].split()


def this_process() -> Owner:
    """The owner record of the calling process."""
    pid = os.getpid()
    return Owner(socket.gethostname(), pid, process_start(pid))


def is_alive(owner: Owner) -> bool:
    """Whether the owner still runs. An owner on another host counts as alive (it cannot be
    checked from here); on this host, its pid must exist with the same start time."""
    if owner.host != socket.gethostname():
        return True
    try:
        os.kill(owner.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        pass
    fields = _stat(owner.pid)
    if fields and fields[0] in ("Z", "X"):  # killed, not yet reaped by its parent
        return False
    started = fields[19] if fields else ""
    return not owner.started or not started or started == owner.started
