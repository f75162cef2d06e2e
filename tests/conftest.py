"""Shared fixtures: a real PostgreSQL (``DATABASE_URL`` or an embedded server), one fresh
migrated database per test cloned from a template, so tests never see each other's rows."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import psycopg2.extensions
import pytest

from hexa.paths import MIGRATIONS
from shared.db import migrate

TEMPLATE = "hexa_test_template"
_counter = itertools.count()


def scratch_dir(prefix: str) -> Path:
    """A temporary directory outside /root (the embedded server chmods its ancestors)."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))


def with_dbname(url: str, dbname: str) -> str:
    return psycopg2.extensions.make_dsn(url, dbname=dbname)


def admin(url: str, sql: str) -> None:
    conn = psycopg2.connect(url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """The server every test database lives on, with a migrated template database."""
    external = os.environ.get("DATABASE_URL")
    server = None
    home = None
    if external:
        url = external
    else:
        from hexa.stack import EmbeddedPostgres

        home = scratch_dir("hexa-test-pg-")
        server = EmbeddedPostgres(home / "pgdata")
        url = server.start()
    admin(url, f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
    admin(url, f"CREATE DATABASE {TEMPLATE}")
    migrate(with_dbname(url, TEMPLATE), MIGRATIONS)
    try:
        yield url
    finally:
        admin(url, f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
        if server is not None:
            server.stop()
        if home is not None:
            shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def database_url(pg_admin_url: str) -> Iterator[str]:
    """A fresh, fully migrated database for one test."""
    name = f"hexa_test_{os.getpid()}_{next(_counter)}"
    admin(pg_admin_url, f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    try:
        yield with_dbname(pg_admin_url, name)
    finally:
        admin(pg_admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def broker_urls() -> Iterator[tuple[str, str | None]]:
    """(pulsar URL, broker metrics URL): ``PULSAR_SERVICE_URL`` or an embedded pulsar-lite."""
    external = os.environ.get("PULSAR_SERVICE_URL")
    if external:
        yield external, None
        return
    from hexa.stack import LiteBroker

    home = scratch_dir("hexa-test-broker-")
    broker = LiteBroker(home / "broker")
    broker.start()
    try:
        yield broker.url, broker.metrics_url
    finally:
        broker.stop()
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def pulsar_url(broker_urls: tuple[str, str | None]) -> str:
    return broker_urls[0]


@pytest.fixture
def pulsar_client(pulsar_url: str) -> Iterator[object]:
    from hexa.pulsar_client import new_client

    client = new_client(pulsar_url)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def topic_prefix(request: pytest.FixtureRequest) -> str:
    """Topics unique to one test, so tests sharing a broker never see each other's messages."""
    return f"persistent://hexabuilders/test/{request.node.name[:40]}-{next(_counter)}"
