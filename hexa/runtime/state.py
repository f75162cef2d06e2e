"""Function state (``incr_counter``/``put_state``) kept in PostgreSQL instead of BookKeeper.

On a real worker the state lives in the BookKeeper table service, shared by every instance of
a function.  Locally the same semantics come from one table keyed by the function's fully
qualified name.  With no database the runtime's null state context applies: writes vanish,
reads return ``None`` and ``del_counter`` raises ``AttributeError`` (contract §3.10).
"""

from __future__ import annotations

from typing import Any, Protocol

from shared.db import Database


class StateStore(Protocol):
    def incr(self, key: str, amount: int) -> None: ...
    def get_amount(self, key: str) -> int | None: ...
    def delete(self, key: str) -> None: ...
    def put(self, key: str, value: bytes | str) -> None: ...
    def get_value(self, key: str) -> bytes | None: ...


class PostgresState:
    def __init__(self, database_url: str, fqfn: str) -> None:
        self._db = Database(database_url, application_name=f"state:{fqfn}")
        self._fqfn = fqfn

    def incr(self, key: str, amount: int) -> None:
        with self._db.transaction() as tx:
            tx.execute(
                "INSERT INTO eventing.function_state (function_fqn, key, counter)"
                " VALUES (%s, %s, %s) ON CONFLICT (function_fqn, key) DO UPDATE"
                " SET counter = COALESCE(eventing.function_state.counter, 0) + EXCLUDED.counter",
                (self._fqfn, key, int(amount)),
            )

    def get_amount(self, key: str) -> int | None:
        with self._db.transaction() as tx:
            value = tx.scalar(
                "SELECT counter FROM eventing.function_state WHERE function_fqn = %s AND key = %s",
                (self._fqfn, key),
            )
        return None if value is None else int(value)

    def delete(self, key: str) -> None:
        with self._db.transaction() as tx:
            tx.execute(
                "DELETE FROM eventing.function_state WHERE function_fqn = %s AND key = %s",
                (self._fqfn, key),
            )

    def put(self, key: str, value: bytes | str) -> None:
        raw = value.encode() if isinstance(value, str) else bytes(value)
        with self._db.transaction() as tx:
            tx.execute(
                "INSERT INTO eventing.function_state (function_fqn, key, value)"
                " VALUES (%s, %s, %s) ON CONFLICT (function_fqn, key) DO UPDATE"
                " SET value = EXCLUDED.value",
                (self._fqfn, key, raw),
            )

    def get_value(self, key: str) -> bytes | None:
        with self._db.transaction() as tx:
            value = tx.scalar(
                "SELECT value FROM eventing.function_state WHERE function_fqn = %s AND key = %s",
                (self._fqfn, key),
            )
        return None if value is None else bytes(value)

    def close(self) -> None:
        self._db.close()


class NullState:
    """The runtime's state context when no state storage is configured."""

    def incr(self, key: str, amount: int) -> None:
        return None

    def get_amount(self, key: str) -> int | None:
        return None

    def put(self, key: str, value: bytes | str) -> None:
        return None

    def get_value(self, key: str) -> bytes | None:
        return None

    def __getattr__(self, name: str) -> Any:
        # ``delete`` is missing on the real null context, so del_counter fails with
        # AttributeError (a user exception); reproduce that instead of hiding it.
        raise AttributeError(f"'NullState' object has no attribute '{name}'")
