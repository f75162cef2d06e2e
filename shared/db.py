"""PostgreSQL access for functions: one lazy connection per instance, transactions, migrations.

A Pulsar Function instance processes one message at a time on one thread, so one connection
per instance is both enough and safe.  Connection failures surface as ``TransientError`` so
the base class retries them and never dead-letters an event because the database was down.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.errors
import psycopg2.extensions
import psycopg2.extras

from shared.errors import Reason, TransientError

Row = dict[str, Any]
Params = Sequence[Any] | Mapping[str, Any] | None

# Errors after which the same statement may well succeed: the server went away, or
# PostgreSQL chose this transaction as the victim of a conflict.
_RETRYABLE = (
    psycopg2.OperationalError,
    psycopg2.InterfaceError,
    psycopg2.errors.SerializationFailure,
    psycopg2.errors.DeadlockDetected,
)
# Any lock waited on longer than this is a stuck peer, not a concurrent duplicate.
_LOCK_TIMEOUT = "30s"


class Tx:
    """The handle a handler writes through: a cursor with dict rows, inside one transaction."""

    def __init__(self, cursor: psycopg2.extras.RealDictCursor) -> None:
        self._cursor = cursor

    def execute(self, sql: str, params: Params = None) -> int:
        """Run a statement; returns the number of rows it touched."""
        self._cursor.execute(sql, params)
        return int(self._cursor.rowcount)

    def one(self, sql: str, params: Params = None) -> Row | None:
        self._cursor.execute(sql, params)
        row = self._cursor.fetchone()
        return dict(row) if row is not None else None

    def all(self, sql: str, params: Params = None) -> list[Row]:
        self._cursor.execute(sql, params)
        return [dict(r) for r in self._cursor.fetchall()]

    def scalar(self, sql: str, params: Params = None) -> Any:
        row = self.one(sql, params)
        return None if row is None else next(iter(row.values()))


class Database:
    """A lazily opened, reused connection that reopens itself after the server went away."""

    def __init__(self, url: str, *, application_name: str = "hexa") -> None:
        self._url = url
        self._application_name = application_name
        self._conn: psycopg2.extensions.connection | None = None

    def _connection(self) -> psycopg2.extensions.connection:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg2.connect(
                self._url,
                application_name=self._application_name[:63],
                connect_timeout=5,
                options=f"-c lock_timeout={_LOCK_TIMEOUT}",
            )
        return self._conn

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """Commit on success, roll back on any exception; connection errors become transient."""
        try:
            conn = self._connection()
            with conn, conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
                yield Tx(cur)
        except _RETRYABLE as exc:
            self._discard_if_broken()
            raise TransientError(
                Reason.DEPENDENCY_UNAVAILABLE, f"database: {type(exc).__name__}: {exc}".strip()
            ) from exc

    def _discard_if_broken(self) -> None:
        if self._conn is not None and (self._conn.closed or not _alive(self._conn)):
            self.close()

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None


def _alive(conn: psycopg2.extensions.connection) -> bool:
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1")
        conn.rollback()
        return True
    except psycopg2.Error:
        return False


class MigrationError(RuntimeError):
    """A migration that cannot be applied as written (migrations are append-only)."""


MIGRATIONS_TABLE = "eventing.schema_migrations"
# Any constant works; it only has to be the same for every process that migrates.
_MIGRATION_LOCK = 4_711_2024


def migrate(url: str, directory: Path) -> list[str]:
    """Apply the ``NNNN_name.sql`` files not applied yet, in order; returns their names.

    Idempotent and safe to run from several processes at once (an advisory lock serialises
    them).  A file whose checksum changed after it was applied is an error: migrations are
    append-only.
    """
    files = sorted(directory.glob("[0-9][0-9][0-9][0-9]_*.sql"))
    applied: list[str] = []
    try:
        conn = psycopg2.connect(url, connect_timeout=5)
    except _RETRYABLE as exc:
        raise TransientError(Reason.DEPENDENCY_UNAVAILABLE, f"database: {exc}".strip()) from exc
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            cur.execute("CREATE SCHEMA IF NOT EXISTS eventing")
            cur.execute(
                f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} ("
                " name text PRIMARY KEY, checksum text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            cur.execute(f"SELECT name, checksum FROM {MIGRATIONS_TABLE}")
            done = dict(cur.fetchall())
            for path in files:
                sql = path.read_text()
                checksum = hashlib.sha256(sql.encode()).hexdigest()
                if path.name in done:
                    if done[path.name] != checksum:
                        raise MigrationError(
                            f"migration {path.name} changed after it was applied; "
                            "add a new migration instead"
                        )
                    continue
                cur.execute(sql)
                cur.execute(
                    f"INSERT INTO {MIGRATIONS_TABLE} (name, checksum) VALUES (%s, %s)",
                    (path.name, checksum),
                )
                applied.append(path.name)
    finally:
        conn.close()
    return applied
