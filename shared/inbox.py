"""The PostgreSQL ledger that turns at-least-once delivery into exactly-once effects.

For every ``(consumer, idempotency key)`` one row records, in the same transaction as the
handler's own writes, the output events it produced.  A row is only ever visible complete
(claim, writes and outputs commit together), so a duplicate never runs the handler again: it
gets the stored outputs back, with the same ids, and re-publishes them.  That also closes the
"committed but not yet published" window of a crash.

The API is claim/complete inside a caller's transaction so several events can later share one
transaction (group commit); ``run`` is the one-event convenience.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg2.extras import Json

from shared.db import Database, Tx
from shared.errors import PermanentError, Reason
from shared.events.registry import Decoded


@dataclass(frozen=True, slots=True)
class Output:
    """One event to publish: where, under which key, and the exact bytes (as text)."""

    topic: str
    key: str
    event_id: str
    event_type: str
    payload: str

    def to_json(self) -> dict[str, str]:
        return {
            "topic": self.topic,
            "key": self.key,
            "event_id": self.event_id,
            "event_type": self.event_type,
            "payload": self.payload,
        }

    @classmethod
    def from_json(cls, obj: dict[str, str]) -> Output:
        return cls(**obj)


@dataclass(frozen=True, slots=True)
class Outcome:
    outputs: tuple[Output, ...]
    duplicate: bool


@dataclass(frozen=True, slots=True)
class MessageRef:
    """Which delivery failed: attempts are counted per input message, not per event."""

    topic: str
    message_id: str

    def __str__(self) -> str:
        return f"{self.topic}@{self.message_id}"


@dataclass(frozen=True, slots=True)
class Failure:
    attempts: int
    first_failure_at: datetime
    last_failure_at: datetime


def payload_hash(decoded: Decoded) -> str:
    """What must match for two deliveries with one key to be the same event."""
    canonical = json.dumps(
        [decoded.spec.name, decoded.event.data], sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


class Inbox:
    """The ledger of one consumer (one function)."""

    def __init__(self, db: Database, consumer: str) -> None:
        self._db = db
        self.consumer = consumer

    def claim(self, tx: Tx, decoded: Decoded, ref: MessageRef | None = None) -> Outcome | None:
        """Take the key for this transaction, or return the stored outcome of a duplicate.

        ``INSERT ... ON CONFLICT DO NOTHING`` blocks while another transaction holds the same
        key, so two concurrent deliveries serialise here and the second sees the first's row.
        """
        key = decoded.spec.idempotency_key(decoded.data)
        digest = payload_hash(decoded)
        event = decoded.event
        inserted = tx.execute(
            "INSERT INTO eventing.inbox (consumer, idempotency_key, event_id, event_type,"
            " event_source, correlation_id, causation_id, payload_hash, input_topic,"
            " input_message_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (consumer, idempotency_key) DO NOTHING",
            (
                self.consumer,
                key,
                event.id,
                event.type,
                event.source,
                event.correlationid,
                event.causationid,
                digest,
                ref.topic if ref else None,
                ref.message_id if ref else None,
            ),
        )
        if inserted:
            return None
        row = tx.one(
            "UPDATE eventing.inbox SET duplicates = duplicates + 1,"
            " last_duplicate_at = clock_timestamp()"
            " WHERE consumer = %s AND idempotency_key = %s"
            " RETURNING payload_hash, outputs, event_id",
            (self.consumer, key),
        )
        if row is None:  # the row cannot vanish: inbox rows are never deleted
            raise RuntimeError(f"inbox row {self.consumer}/{key} disappeared")
        if row["payload_hash"] != digest:
            raise PermanentError(
                Reason.KEY_COLLISION,
                f"key {key} was already used by event {row['event_id']} with a different payload",
            )
        outputs = tuple(Output.from_json(o) for o in row["outputs"])
        return Outcome(outputs=outputs, duplicate=True)

    def complete(self, tx: Tx, decoded: Decoded, outputs: Sequence[Output]) -> None:
        """Store the outputs with the claim; they commit together with the handler's writes."""
        tx.execute(
            "UPDATE eventing.inbox SET outputs = %s, completed_at = clock_timestamp()"
            " WHERE consumer = %s AND idempotency_key = %s",
            (
                Json([o.to_json() for o in outputs]),
                self.consumer,
                decoded.spec.idempotency_key(decoded.data),
            ),
        )

    def run(
        self,
        decoded: Decoded,
        handle: Callable[[Tx], Sequence[Output]],
        ref: MessageRef | None = None,
    ) -> Outcome:
        """Claim, handle and complete one event in one transaction."""
        with self._db.transaction() as tx:
            stored = self.claim(tx, decoded, ref)
            if stored is not None:
                return stored
            outputs = tuple(handle(tx))
            self.complete(tx, decoded, outputs)
            return Outcome(outputs=outputs, duplicate=False)

    def record_failure(
        self, ref: MessageRef, decoded: Decoded | None, reason: str, error: str
    ) -> Failure:
        """Count one failed delivery of ``ref``; its own transaction, so it survives rollback."""
        event = decoded.event if decoded else None
        with self._db.transaction() as tx:
            row = tx.one(
                "INSERT INTO eventing.failures (consumer, message_ref, event_id, event_type,"
                " correlation_id, causation_id, attempts, first_failure_at, last_failure_at,"
                " last_reason, last_error)"
                " VALUES (%s, %s, %s, %s, %s, %s, 1, clock_timestamp(), clock_timestamp(), %s, %s)"
                " ON CONFLICT (consumer, message_ref) DO UPDATE SET"
                " attempts = eventing.failures.attempts + 1,"
                " last_failure_at = EXCLUDED.last_failure_at,"
                " last_reason = EXCLUDED.last_reason, last_error = EXCLUDED.last_error"
                " RETURNING attempts, first_failure_at, last_failure_at",
                (
                    self.consumer,
                    str(ref),
                    event.id if event else None,
                    event.type if event else None,
                    event.correlationid if event else None,
                    event.causationid if event else None,
                    reason,
                    error,
                ),
            )
        assert row is not None
        return Failure(row["attempts"], row["first_failure_at"], row["last_failure_at"])

    def record_dead_letter(self, decoded: Decoded | None, properties: dict[str, Any]) -> None:
        """Remember what was dead-lettered, for ``hexa trace``."""
        event = decoded.event if decoded else None
        with self._db.transaction() as tx:
            tx.execute(
                "INSERT INTO eventing.dead_letters (consumer, event_id, event_type,"
                " correlation_id, causation_id, reason, error_class, error_message,"
                " original_topic, original_message_id, dead_letter_topic, attempts)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    self.consumer,
                    event.id if event else None,
                    event.type if event else None,
                    event.correlationid if event else None,
                    event.causationid if event else None,
                    properties["reason"],
                    properties["error_class"],
                    properties["error_message"],
                    properties["original_topic"],
                    properties["original_message_id"],
                    properties["dead_letter_topic"],
                    int(properties["attempts"]),
                ),
            )
