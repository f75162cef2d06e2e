"""What ``/proc`` says about a process (the stack targets Linux)."""

from __future__ import annotations

import re
from pathlib import Path


def cmdline(pid: int) -> list[bytes]:
    """The arguments of a live ``pid``; empty once it is gone or a zombie.

    Matching on arguments (a data dir, a config path) is how a stale pid file is told apart
    from an unrelated process that was given the same pid later.
    """
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return raw.split(b"\0") if raw else []


def rss_kib(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(match[1]) if match else None
