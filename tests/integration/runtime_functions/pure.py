"""A "pure" function: a module with a top-level process(input) and no context."""

from __future__ import annotations

from typing import Any

from tests.integration.runtime_functions.probes import _record


def process(input: Any) -> str:
    _record("pure", input)
    return str(input).upper()
