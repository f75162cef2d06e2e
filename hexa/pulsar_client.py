"""Every ``pulsar.Client`` the tooling opens, with the C++ client's chatter kept down.

Left alone, the client logs each connect, lookup and consumer close at INFO straight to
stderr, which buries the host's own JSON logs and the CLI's output.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import pulsar

_LOGGER = logging.getLogger("pulsar.client")
_LOGGER.setLevel(logging.WARNING)


def new_client(url: str, **options: Any) -> pulsar.Client:
    """A client with a WARNING-level logger and the auth token of ``PULSAR_AUTH_TOKEN``."""
    token = os.environ.get("PULSAR_AUTH_TOKEN")
    if token and "authentication" not in options:
        options["authentication"] = pulsar.AuthenticationToken(token)
    options.setdefault("operation_timeout_seconds", 10)
    return pulsar.Client(url, logger=_LOGGER, **options)
