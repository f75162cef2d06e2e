"""Deterministic ids for things the functions create.

An id derived from what caused it means a re-run after a rollback creates the same rows, and
other services (and the simulator) can compute it without a lookup.
"""

from __future__ import annotations

import uuid

_NAMESPACE = uuid.UUID("0b8e3a52-6f0e-5b8f-8f0c-6c1b1a1de001")


def derived_id(kind: str, *parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join((kind, *parts))))
