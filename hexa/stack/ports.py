"""Loopback ports for the servers the tooling starts."""

from __future__ import annotations

import contextlib
import socket

HOST = "127.0.0.1"


def port_free(port: int, host: str = HOST) -> bool:
    """Whether a server could bind ``port`` now.

    SO_REUSEADDR makes a killed server's leftover TIME_WAIT connections not count, as they do
    not count for the server's own bind either.
    """
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def free_ports(count: int, host: str = HOST) -> list[int]:
    """Ports the kernel considers free, all held open at once so that they differ."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind((host, 0))
        return [sock.getsockname()[1] for sock in sockets]
