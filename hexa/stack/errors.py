"""The one error type for a stack that cannot start or stop, so commands report it in a line."""

from __future__ import annotations


class StackError(RuntimeError):
    """Something the user can act on: a port in use, a data dir under /root, a stuck process."""
