"""Small helpers for tests that use a real PostgreSQL."""

from __future__ import annotations

from typing import Any

import psycopg2

from hexa.testing import FakeContext
from shared.events import REGISTRY, EventData
from tests.fakes import FAST_RETRY


def query(url: str, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def scalar(url: str, sql: str, params: Any = None) -> Any:
    rows = query(url, sql, params)
    return rows[0][0] if rows else None


def pg_context(
    data: EventData,
    database_url: str,
    name: str = "it-function",
    message_id: str = "(1,0,-1,-1)",
    **config: Any,
) -> FakeContext:
    return FakeContext(
        function_name=name,
        topic=REGISTRY.for_model(type(data)).topic,
        message_id=message_id,
        user_config={**FAST_RETRY, **config},
        secrets={"DATABASE_URL": database_url},
    )
