"""Dead-letter topics as the tooling sees them.

Every dead-letter topic gets one durable subscription of ours.  Its backlog *is* the number of
dead letters nobody has dealt with yet (what ``/health/events`` reports as
``dead_letter_queue_size``), and ``hexa dlq purge`` acknowledges on it.  Without a
subscription a topic has no backlog to measure.

Listing reads through that same subscription without acknowledging, then closes the consumer:
the broker hands unacknowledged messages back to the subscription, so a dead letter leaves the
queue only when it is replayed or purged.  A replay republishes the original bytes (so the
CloudEvent id, and with it the consumers' deduplication, is kept) *before* acknowledging; a
crash in between leaves the dead letter pending, and replaying it again has no second effect.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

import pulsar

from hexa.deployment import Deployment
from hexa.publisher import Publisher
from shared.errors import Reason
from shared.topics import service_of

DLQ_SUBSCRIPTION = "hexa-dead-letters"
REPLAYED_FROM = "hexa_replayed_from"
"""Property on a replayed message: the dead letter's message id, to tell replays apart."""
DEFAULT_IDLE_MS = 500
"""A listing ends when nothing more arrives for this long."""

_RELATIVE = re.compile(r"(\d+)\s*([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def ensure_subscriptions(client: Any, topics: Iterable[str]) -> None:
    """Create the monitoring subscription on each topic (from the earliest message)."""
    for topic in sorted(set(topics)):
        consumer = client.subscribe(
            topic,
            DLQ_SUBSCRIPTION,
            consumer_type=pulsar.ConsumerType.Shared,
            initial_position=pulsar.InitialPosition.Earliest,
            receiver_queue_size=1,
        )
        consumer.close()


class DeadLetterError(ValueError):
    """Bad input about dead letters: a one-line message plus the reason code to report."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def dead_letter_topics(deployment: Deployment) -> list[str]:
    return sorted({f.dead_letter_topic for f in deployment.functions})


def resolve_topic(name: str, deployment: Deployment) -> str:
    """A dead-letter topic of ``deployment`` by full name or by its service (namespace)."""
    topics = dead_letter_topics(deployment)
    by_service = {service_of(t): t for t in topics}
    topic = name if name in topics else by_service.get(name)
    if topic is None:
        raise DeadLetterError(
            "unknown_topic",
            f"{name!r} is not a dead-letter topic; valid: {', '.join(sorted(by_service))}"
            " (or their full names)",
        )
    return topic


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """``--since``: ISO 8601 (UTC when no offset is given), or a duration back from ``now``."""
    relative = _RELATIVE.fullmatch(text.strip())
    if relative:
        amount = timedelta(**{_UNITS[relative[2]]: int(relative[1])})
        return (now or datetime.now(UTC)) - amount
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise DeadLetterError(
            "invalid_since", f"{text!r} is neither ISO 8601 nor a duration like 30m, 2h or 1d"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _parse_time(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


@dataclass(frozen=True)
class DeadLetter:
    """One pending dead letter: the original bytes and the diagnosis in its properties."""

    index: int
    """1-based position in the listing (oldest first), what ``show`` accepts besides an id."""
    message_id: str
    key: str | None
    payload: bytes
    properties: Mapping[str, str]
    publish_time: datetime

    @property
    def ce_id(self) -> str | None:
        return self.properties.get("ce_id")

    @property
    def ce_type(self) -> str | None:
        return self.properties.get("ce_type")

    @property
    def reason(self) -> str | None:
        return self.properties.get("reason")

    @property
    def original_topic(self) -> str | None:
        return self.properties.get("original_topic")

    @property
    def last_failure_time(self) -> datetime:
        """When the consumer last failed on it (the publish time if the property is missing)."""
        return _parse_time(self.properties.get("last_failure_time")) or self.publish_time

    def summary(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "message_id": self.message_id,
            "key": self.key,
            "publish_time": self.publish_time,
            "properties": dict(sorted(self.properties.items())),
        }

    def detail(self) -> dict[str, Any]:
        """The summary plus the payload: ``payload`` when it is JSON, else ``payload_text``."""
        try:
            return {**self.summary(), "payload": json.loads(self.payload)}
        except ValueError:  # JSONDecodeError and UnicodeDecodeError alike
            return {
                **self.summary(),
                "payload_text": self.payload.decode("utf-8", errors="backslashreplace"),
            }


@dataclass(frozen=True)
class Selection:
    """Which dead letters a command acts on; an empty filter lets everything through."""

    reasons: frozenset[str] = frozenset()
    since: datetime | None = None
    ids: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls,
        reasons: Iterable[str] = (),
        since: str | None = None,
        ids: Iterable[str] = (),
        now: datetime | None = None,
    ) -> Selection:
        """From command-line values; a reason code that does not exist is a typo, not a filter
        that happens to match nothing."""
        unknown = sorted(set(reasons) - {r.value for r in Reason})
        if unknown:
            raise DeadLetterError(
                "unknown_reason",
                f"{', '.join(unknown)}: not a reason code; valid: {', '.join(sorted(Reason))}",
            )
        return cls(frozenset(reasons), parse_since(since, now) if since else None, frozenset(ids))

    def __call__(self, letter: DeadLetter) -> bool:
        return (
            (not self.reasons or letter.reason in self.reasons)
            and (self.since is None or letter.last_failure_time >= self.since)
            and (not self.ids or letter.ce_id in self.ids)
        )


def _position(message_id: pulsar.MessageId) -> tuple[int, int, int, int]:
    """Where a message is stored: (ledger, entry, partition) is its batch, then its index."""
    return (
        message_id.ledger_id(),
        message_id.entry_id(),
        message_id.partition(),
        message_id.batch_index(),
    )


class PendingDeadLetters:
    """The dead letters not yet acknowledged on ``DLQ_SUBSCRIPTION``, held while open.

    Opening reads them all (without acknowledging); closing gives back the ones that were
    neither replayed nor purged.  Two listings at the same time would split the messages
    between them (a Shared subscription), so each command holds them only as long as it acts.
    """

    def __init__(
        self, client: pulsar.Client, topic: str, *, idle_timeout_ms: int = DEFAULT_IDLE_MS
    ) -> None:
        self.topic = topic
        self._consumer = client.subscribe(
            topic,
            DLQ_SUBSCRIPTION,
            consumer_type=pulsar.ConsumerType.Shared,
            initial_position=pulsar.InitialPosition.Earliest,
        )
        self._messages: dict[str, pulsar.Message] = {}
        try:
            self.letters = self._read(idle_timeout_ms)
        except BaseException:
            self.close()
            raise

    def _read(self, idle_timeout_ms: int) -> list[DeadLetter]:
        received: list[pulsar.Message] = []
        while True:
            try:
                received.append(self._consumer.receive(timeout_millis=idle_timeout_ms))
            except pulsar.Timeout:
                break
        received.sort(key=lambda m: _position(m.message_id()))
        letters = []
        for index, message in enumerate(received, start=1):
            message_id = str(message.message_id())
            self._messages[message_id] = message
            letters.append(
                DeadLetter(
                    index=index,
                    message_id=message_id,
                    key=message.partition_key() or None,
                    payload=message.data(),
                    properties=dict(message.properties()),
                    publish_time=datetime.fromtimestamp(message.publish_timestamp() / 1000, UTC),
                )
            )
        return letters

    def select(self, selection: Selection) -> list[DeadLetter]:
        return [letter for letter in self.letters if selection(letter)]

    def find(self, selector: str) -> DeadLetter:
        """A dead letter by its listing index or its CloudEvent id."""
        for letter in self.letters:
            if selector in (str(letter.index), letter.ce_id):
                return letter
        raise DeadLetterError(
            "unknown_dead_letter",
            f"no pending dead letter with index or CloudEvent id {selector!r} on {self.topic}",
        )

    def acknowledge(self, letter: DeadLetter) -> None:
        """Take ``letter`` off the queue for good."""
        self._consumer.acknowledge(self._messages[letter.message_id])

    def check_whole_batches(self, letters: Iterable[DeadLetter]) -> None:
        """Refuse to act on part of a producer batch.

        The broker drops a batch only once every message in it is acknowledged (batch-index
        acks would fix that, but pulsar-lite loses messages with them), so the acknowledged
        part would come back on the next listing: purged letters reappear, replayed ones would
        be replayed again.
        """
        chosen = {letter.message_id for letter in letters}
        batches: dict[tuple[int, int, int], list[DeadLetter]] = {}
        for letter in self.letters:
            batch = _position(self._messages[letter.message_id].message_id())[:3]
            batches.setdefault(batch, []).append(letter)
        for mates in batches.values():
            left = [str(m.index) for m in mates if m.message_id not in chosen]
            if left and len(left) < len(mates):
                picked = [str(m.index) for m in mates if m.message_id in chosen]
                raise DeadLetterError(
                    "partial_batch",
                    f"dead letter(s) {', '.join(picked)} share a batch with {', '.join(left)}:"
                    " select them together (part of a batch cannot be taken off the queue)",
                )

    def close(self) -> None:
        self._consumer.close()

    def __enter__(self) -> PendingDeadLetters:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


@dataclass(frozen=True)
class Replayed:
    letter: DeadLetter
    message_id: str
    """The id of the republished message on the original topic."""

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.letter.index,
            "ce_id": self.letter.ce_id,
            "original_topic": self.letter.original_topic,
            "dead_letter_message_id": self.letter.message_id,
            "message_id": self.message_id,
        }


def replay_properties(letter: DeadLetter) -> dict[str, str]:
    """What a replayed message carries: the CloudEvent id/type and where it was replayed from.

    Not the diagnosis: a replay that fails again is dead-lettered with a fresh one.
    """
    properties = {"ce_id": letter.ce_id, "ce_type": letter.ce_type}
    return {k: v for k, v in properties.items() if v} | {REPLAYED_FROM: letter.message_id}


class _Pace:
    """At most ``rate`` sends per second, without bursts after a slow send."""

    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, not {rate}")
        self._interval = 1 / rate
        self._next = time.monotonic()

    def wait(self) -> None:
        now = time.monotonic()
        if self._next > now:
            time.sleep(self._next - now)
        self._next = max(self._next, now) + self._interval


def replay(
    pending: PendingDeadLetters,
    letters: Iterable[DeadLetter],
    publisher: Publisher,
    *,
    rate: float,
) -> Iterator[Replayed]:
    """Republish each letter to its original topic, then acknowledge it; one per 1/rate s.

    Every letter is checked before the first send, so a batch never stops half-way for a
    letter that could not have been replayed anyway.
    """
    chosen = list(letters)
    orphans = [letter.message_id for letter in chosen if not letter.original_topic]
    if orphans:
        raise DeadLetterError(
            "not_replayable", f"no original_topic property on {', '.join(orphans)}"
        )
    pending.check_whole_batches(chosen)
    pace = _Pace(rate)
    for letter in chosen:
        assert letter.original_topic is not None
        pace.wait()
        sent = publisher.send_raw(
            letter.original_topic,
            letter.payload,
            key=letter.key,
            properties=replay_properties(letter),
        )
        pending.acknowledge(letter)
        yield Replayed(letter, str(sent))


def purge(pending: PendingDeadLetters, letters: Iterable[DeadLetter]) -> None:
    """Acknowledge ``letters`` without replaying them: they are gone for good."""
    chosen = list(letters)
    pending.check_whole_batches(chosen)
    for letter in chosen:
        pending.acknowledge(letter)
