"""Options several commands share, so their names and help read the same everywhere."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from hexa.cli import fail
from hexa.endpoints import Endpoints, resolve

F = TypeVar("F", bound=Callable[..., Any])


def pulsar_option(func: F) -> F:
    return click.option(
        "--pulsar-url", envvar="PULSAR_SERVICE_URL", help="Broker (default: the running stack)."
    )(func)


def database_option(func: F) -> F:
    return click.option(
        "--database-url", envvar="DATABASE_URL", help="PostgreSQL (default: the running stack)."
    )(func)


def need_database(database_url: str | None) -> str:
    url = resolve(database_url=database_url).database_url
    if not url:
        fail("no_database", "no PostgreSQL: run `hexa up`, or set DATABASE_URL", code=2)
    return url


def need_broker(pulsar_url: str | None) -> Endpoints:
    endpoints = resolve(pulsar_url=pulsar_url)
    if not endpoints.pulsar_url:
        fail("no_broker", "no broker: run `hexa up`, or set PULSAR_SERVICE_URL", code=2)
    return endpoints
