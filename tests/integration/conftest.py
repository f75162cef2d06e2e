"""Fixtures of the integration tier."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hexa.devenv import DevEnvironment
from tests.integration.flows import platform


@pytest.fixture(scope="module")
def env() -> Iterator[DevEnvironment]:
    """The whole platform (broker, PostgreSQL, local SNS, every function), one per module."""
    monkeypatch = pytest.MonkeyPatch()
    with platform(monkeypatch) as environment:
        yield environment
    monkeypatch.undo()
