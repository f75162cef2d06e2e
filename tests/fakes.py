"""Unit-test doubles: an in-memory ledger with the real one's duplicate/collision contract."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from unittest.mock import MagicMock

from hexa.testing import FakeContext
from shared.db import Tx
from shared.envelope import CloudEvent, serialize
from shared.errors import PermanentError, Reason
from shared.events import REGISTRY, EventData
from shared.events.registry import Decoded
from shared.handler import Handler
from shared.inbox import Failure, Inbox, MessageRef, Outcome, Output, payload_hash

FAST_RETRY = {
    "retry_attempts": 2,
    "retry_wait_min_s": 0,
    "retry_wait_max_s": 0,
    "retry_jitter_s": 0,
    "max_retries": 3,
    "dead_letter_topic": "persistent://hexabuilders/test/dead-letters",
}


class MemoryInbox(Inbox):
    def __init__(self, consumer: str, tx: Any) -> None:
        self.consumer = consumer
        self.tx = tx
        self.records: dict[str, tuple[str, tuple[Output, ...]]] = {}
        self.failures: dict[str, int] = {}
        self.dead_letters: list[dict[str, Any]] = []
        self.handler_runs = 0

    def run(
        self,
        decoded: Decoded,
        handle: Callable[[Tx], Sequence[Output]],
        ref: MessageRef | None = None,
    ) -> Outcome:
        key = decoded.spec.idempotency_key(decoded.data)
        digest = payload_hash(decoded)
        if key in self.records:
            stored_digest, outputs = self.records[key]
            if stored_digest != digest:
                raise PermanentError(Reason.KEY_COLLISION, f"key {key} reused")
            return Outcome(outputs, duplicate=True)
        self.handler_runs += 1
        outputs = tuple(handle(self.tx))
        self.records[key] = (digest, outputs)
        return Outcome(outputs, duplicate=False)

    def record_failure(
        self, ref: MessageRef, decoded: Decoded | None, reason: str, error: str
    ) -> Failure:
        self.failures[str(ref)] = self.failures.get(str(ref), 0) + 1
        now = datetime.now(UTC)
        return Failure(self.failures[str(ref)], now, now)

    def record_dead_letter(self, decoded: Decoded | None, properties: dict[str, Any]) -> None:
        self.dead_letters.append(properties)


def make_handler(cls: type[Handler[Any]], tx: Any | None = None) -> tuple[Handler[Any], Any]:
    """An instance whose ledger is in memory and whose transaction is a mock."""
    handler = cls()
    memory = MemoryInbox("unset", tx if tx is not None else MagicMock(spec=Tx))

    def open_inbox(url: str, consumer: str) -> Inbox:
        memory.consumer = consumer
        return memory

    handler._open_inbox = open_inbox  # type: ignore[method-assign]
    return handler, memory


def context_for(spec_topic: str, name: str = "fn-under-test", **config: Any) -> FakeContext:
    return FakeContext(
        function_name=name,
        topic=spec_topic,
        user_config={**FAST_RETRY, **config},
        secrets={"DATABASE_URL": "postgresql://unused"},
    )


def envelope(data: EventData, correlationid: str | None = None) -> CloudEvent:
    return REGISTRY.new(data, correlationid=correlationid)


def wire(event: CloudEvent) -> str:
    """What the runtime hands ``process``: IdentitySerDe turns the JSON text into ``str``."""
    return serialize(event).decode()
