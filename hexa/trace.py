"""The causation tree of one business flow, rebuilt from the inbox ledger.

No tracing system is needed: every function already records, in ``eventing.inbox``, each event
it consumed (with the flow's correlation id and the event's causation id) and the ids of the
events it produced, in the same transaction as its effects; ``eventing.failures`` and
``eventing.dead_letters`` record what did not go through.  So the ledger alone says which event
caused which, who consumed it, and how that went.

``build`` is pure (ledger rows in, tree out) so the shape of the tree can be tested without a
database; ``trace`` reads the rows of one correlation id and builds it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rich.text import Text
from rich.tree import Tree

from shared.db import Database, Tx

PROCESSED = "processed"
DUPLICATE = "duplicate"
RETRIED = "retried"
DEAD_LETTERED = "dead-lettered"
# The order things happen to one consumption, which is also the order they are listed in.
LIFECYCLE = (RETRIED, DEAD_LETTERED, PROCESSED, DUPLICATE)
_NEVER = datetime.max.replace(tzinfo=UTC)


class TraceError(LookupError):
    """Nothing in the ledger carries the correlation id asked for."""


# -- ledger rows -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Produced:
    """One entry of an inbox row's ``outputs``: an event this consumption published."""

    event_id: str
    event_type: str
    topic: str


@dataclass(frozen=True)
class Consumed:
    """One ``eventing.inbox`` row: ``consumer`` took ``event_id`` (its effects committed)."""

    consumer: str
    event_id: str
    event_type: str
    causation_id: str | None
    topic: str | None
    outputs: tuple[Produced, ...]
    duplicates: int
    received_at: datetime
    completed_at: datetime | None
    last_duplicate_at: datetime | None


@dataclass(frozen=True)
class Failed:
    """One ``eventing.failures`` row: failed deliveries of one message of ``event_id``."""

    consumer: str
    event_id: str
    event_type: str | None
    causation_id: str | None
    attempts: int
    first_failure_at: datetime
    last_failure_at: datetime
    last_reason: str
    last_error: str


@dataclass(frozen=True)
class DeadLettered:
    """One ``eventing.dead_letters`` row: ``consumer`` gave up on ``event_id``."""

    consumer: str
    event_id: str
    event_type: str | None
    causation_id: str | None
    topic: str
    reason: str
    error_class: str
    error_message: str
    dead_letter_topic: str
    attempts: int
    dead_lettered_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "error_class": self.error_class,
            "error_message": self.error_message,
            "dead_letter_topic": self.dead_letter_topic,
            "attempts": self.attempts,
            "dead_lettered_at": self.dead_lettered_at,
        }


@dataclass(frozen=True)
class Ledger:
    """Every ledger row of one flow."""

    correlation_id: str
    consumed: tuple[Consumed, ...] = ()
    failed: tuple[Failed, ...] = ()
    dead_lettered: tuple[DeadLettered, ...] = ()


# -- the tree ----------------------------------------------------------------------------------


@dataclass
class Consumption:
    """What happened when one consumer got one event, over all its deliveries."""

    consumer: str
    processed: Consumed | None
    failures: tuple[Failed, ...]
    dead_letters: tuple[DeadLettered, ...]
    produced: list[EventNode] = field(default_factory=list)

    @property
    def failed_attempts(self) -> int:
        return sum(f.attempts for f in self.failures)

    @property
    def duplicates(self) -> int:
        return self.processed.duplicates if self.processed else 0

    @property
    def started_at(self) -> datetime:
        """The first delivery this consumption saw, whichever way it went."""
        return min(
            [f.first_failure_at for f in self.failures]
            + [d.dead_lettered_at for d in self.dead_letters]
            + ([self.processed.received_at] if self.processed else [])
        )

    @property
    def outcomes(self) -> tuple[str, ...]:
        """Everything that happened, in ``LIFECYCLE`` order."""
        happened = {
            RETRIED: bool(self.failures),
            DEAD_LETTERED: bool(self.dead_letters),
            PROCESSED: self.processed is not None,
            DUPLICATE: self.duplicates > 0,
        }
        return tuple(o for o in LIFECYCLE if happened[o])

    @property
    def outcome(self) -> str:
        """Where it stands: processed (maybe after a replay), else dead-lettered, else still
        being retried."""
        if self.processed is not None:
            return PROCESSED
        return DEAD_LETTERED if self.dead_letters else RETRIED

    def to_json(self) -> dict[str, Any]:
        processed = self.processed
        return {
            "consumer": self.consumer,
            "outcome": self.outcome,
            "outcomes": list(self.outcomes),
            "duplicates": self.duplicates,
            "failed_attempts": self.failed_attempts,
            "received_at": processed.received_at if processed else None,
            "completed_at": processed.completed_at if processed else None,
            "last_duplicate_at": processed.last_duplicate_at if processed else None,
            "first_failure_at": min((f.first_failure_at for f in self.failures), default=None),
            "last_failure_at": max((f.last_failure_at for f in self.failures), default=None),
            "last_error": (
                max(self.failures, key=lambda f: f.last_failure_at).last_error
                if self.failures
                else None
            ),
            "dead_letters": [d.to_json() for d in self.dead_letters],
            "produced": [e.to_json() for e in self.produced],
        }


@dataclass
class EventNode:
    """One event of the flow; what is known of it comes from whichever ledger row names it."""

    event_id: str
    event_type: str | None
    causation_id: str | None
    topic: str | None
    consumptions: list[Consumption] = field(default_factory=list)

    def walk(self) -> Iterator[EventNode]:
        yield self
        for consumption in self.consumptions:
            for child in consumption.produced:
                yield from child.walk()

    def to_json(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "causation_id": self.causation_id,
            "topic": self.topic,
            "consumptions": [c.to_json() for c in self.consumptions],
        }


@dataclass
class Trace:
    """One flow: its root events, each with everything that followed from it."""

    correlation_id: str
    roots: list[EventNode]

    def events(self) -> Iterator[EventNode]:
        for root in self.roots:
            yield from root.walk()

    def summary(self) -> dict[str, int]:
        """How many events and consumptions, and how many consumptions saw each outcome."""
        events = list(self.events())
        consumptions = [c for e in events for c in e.consumptions]
        return {
            "events": len(events),
            "consumptions": len(consumptions),
            **{o: sum(o in c.outcomes for c in consumptions) for o in LIFECYCLE},
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "correlation_id": self.correlation_id,
            "summary": self.summary(),
            "roots": [r.to_json() for r in self.roots],
        }


@dataclass
class _Facts:
    """What the rows say about one event, from whichever row says it."""

    event_type: str | None = None
    causation_id: str | None = None
    topic: str | None = None
    first_seen: datetime | None = None

    def learn(
        self,
        event_type: str | None,
        causation_id: str | None,
        topic: str | None,
        at: datetime | None = None,
    ) -> None:
        self.event_type = self.event_type or event_type
        self.causation_id = self.causation_id or causation_id
        self.topic = self.topic or topic
        if at is not None:
            self.first_seen = min(self.first_seen or at, at)


class _Flow:
    """The ledger rows of one flow, indexed by event and by (event, consumer)."""

    def __init__(self, ledger: Ledger) -> None:
        self.facts: dict[str, _Facts] = {}
        self.processed: dict[tuple[str, str], Consumed] = {}
        self.failures: dict[tuple[str, str], list[Failed]] = {}
        self.dead: dict[tuple[str, str], list[DeadLettered]] = {}
        for row in ledger.consumed:
            self._facts(row.event_id).learn(
                row.event_type, row.causation_id, row.topic, row.received_at
            )
            self.processed[(row.event_id, row.consumer)] = row
            for out in row.outputs:
                self._facts(out.event_id).learn(out.event_type, row.event_id, out.topic)
        for failure in ledger.failed:
            self._facts(failure.event_id).learn(
                failure.event_type, failure.causation_id, None, failure.first_failure_at
            )
            self.failures.setdefault((failure.event_id, failure.consumer), []).append(failure)
        for letter in ledger.dead_lettered:
            self._facts(letter.event_id).learn(
                letter.event_type, letter.causation_id, letter.topic, letter.dead_lettered_at
            )
            self.dead.setdefault((letter.event_id, letter.consumer), []).append(letter)
        self.consumers: dict[str, set[str]] = {}
        for event_id, consumer in (*self.processed, *self.failures, *self.dead):
            self.consumers.setdefault(event_id, set()).add(consumer)
        self.visited: set[str] = set()

    def _facts(self, event_id: str) -> _Facts:
        return self.facts.setdefault(event_id, _Facts())

    def chronological(self, event_id: str) -> tuple[bool, datetime, str]:
        """Sort key: first seen first; events nobody consumed have no time and come last."""
        seen = self.facts[event_id].first_seen
        return (seen is None, seen or _NEVER, event_id)

    def node(self, event_id: str) -> EventNode:
        """``event_id`` with everything below it (each event is placed once)."""
        self.visited.add(event_id)
        known = self.facts[event_id]
        event = EventNode(event_id, known.event_type, known.causation_id, known.topic)
        for consumer in sorted(self.consumers.get(event_id, ())):
            key = (event_id, consumer)
            row = self.processed.get(key)
            consumption = Consumption(
                consumer,
                row,
                tuple(sorted(self.failures.get(key, ()), key=lambda f: f.first_failure_at)),
                tuple(sorted(self.dead.get(key, ()), key=lambda d: d.dead_lettered_at)),
            )
            for out in row.outputs if row else ():
                if out.event_id not in self.visited:
                    consumption.produced.append(self.node(out.event_id))
            event.consumptions.append(consumption)
        return event

    def roots(self, candidates: list[str]) -> list[EventNode]:
        return [
            self.node(e)
            for e in sorted(candidates, key=self.chronological)
            if e not in self.visited
        ]


def build(ledger: Ledger) -> Trace:
    """The causation tree of ``ledger``'s flow.

    Roots are the flow's events whose cause is not an event of the flow (what a service
    published to start it), first seen first.  Under each event come its consumptions, by
    consumer name; under each consumption the events it produced, in the order it produced
    them.  An event that cannot be reached from a root (a ledger with a gap) becomes a root
    too, so every event of the flow appears exactly once.
    """
    flow = _Flow(ledger)
    starts = [e for e, f in flow.facts.items() if f.causation_id not in flow.facts]
    roots = flow.roots(starts)
    roots += flow.roots(list(flow.facts))
    return Trace(ledger.correlation_id, roots)


# -- reading the ledger ------------------------------------------------------------------------


def _outputs(raw: list[dict[str, str]]) -> tuple[Produced, ...]:
    return tuple(Produced(o["event_id"], o["event_type"], o["topic"]) for o in raw)


def read_ledger(tx: Tx, correlation_id: str) -> Ledger:
    """Every row of the flow; the outputs' payloads stay in the database."""
    params = {"correlation": correlation_id}
    consumed = tx.all(
        "SELECT consumer, event_id, event_type, causation_id, input_topic AS topic,"
        " (SELECT COALESCE(jsonb_agg(o - 'payload' ORDER BY n), '[]'::jsonb)"
        "  FROM jsonb_array_elements(outputs) WITH ORDINALITY AS x(o, n)) AS outputs,"
        " duplicates, received_at, completed_at, last_duplicate_at"
        " FROM eventing.inbox WHERE correlation_id = %(correlation)s",
        params,
    )
    failed = tx.all(
        "SELECT consumer, event_id, event_type, causation_id, attempts, first_failure_at,"
        " last_failure_at, last_reason, last_error FROM eventing.failures"
        " WHERE correlation_id = %(correlation)s AND event_id IS NOT NULL",
        params,
    )
    dead = tx.all(
        "SELECT consumer, event_id, event_type, causation_id, original_topic AS topic, reason,"
        " error_class, error_message, dead_letter_topic, attempts, dead_lettered_at"
        " FROM eventing.dead_letters"
        " WHERE correlation_id = %(correlation)s AND event_id IS NOT NULL",
        params,
    )
    return Ledger(
        correlation_id,
        tuple(Consumed(**{**row, "outputs": _outputs(row["outputs"])}) for row in consumed),
        tuple(Failed(**row) for row in failed),
        tuple(DeadLettered(**row) for row in dead),
    )


def trace(database_url: str, correlation_id: str) -> Trace:
    """The tree of ``correlation_id``'s flow; ``TraceError`` when the ledger has none of it."""
    db = Database(database_url, application_name="hexa-trace")
    try:
        with db.transaction() as tx:
            ledger = read_ledger(tx, correlation_id)
    finally:
        db.close()
    if not (ledger.consumed or ledger.failed or ledger.dead_lettered):
        raise TraceError(f"no event of the ledger has correlation id {correlation_id!r}")
    return build(ledger)


# -- rendering ---------------------------------------------------------------------------------

_STYLES = {
    PROCESSED: "green",
    DUPLICATE: "cyan",
    RETRIED: "yellow",
    DEAD_LETTERED: "bold red",
}


def _time(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] if value else "-"


def _event_label(event: EventNode) -> Text:
    name = (event.event_type or "unknown type").rsplit(".", 1)[-1]
    return Text.assemble((name, "bold"), " ", event.event_id, (f"  {event.topic or ''}", "dim"))


def _consumption_label(consumption: Consumption) -> Text:
    label = Text.assemble((consumption.consumer, "bold"), ": ")
    steps: list[Text] = []
    for outcome in consumption.outcomes:
        detail = {
            RETRIED: f" ({consumption.failed_attempts} failed deliveries)",
            DEAD_LETTERED: "".join(f" ({d.reason})" for d in consumption.dead_letters),
            DUPLICATE: f" ({consumption.duplicates} deduped)",
        }.get(outcome, "")
        steps.append(Text(outcome + detail, style=_STYLES[outcome]))
    label.append_text(Text(" → ").join(steps))
    label.append(f"  {_time(consumption.started_at)}", style="dim")
    return label


def render(result: Trace) -> Tree:
    """The flow as a terminal tree: event → consumer and outcome → events it produced."""
    summary = result.summary()
    tree = Tree(
        Text.assemble(
            ("flow ", "bold"),
            result.correlation_id,
            (f"  {summary['events']} event(s), {summary['consumptions']} consumption(s)", "dim"),
        )
    )

    def add(parent: Tree, event: EventNode) -> None:
        branch = parent.add(_event_label(event))
        for consumption in event.consumptions:
            below = branch.add(_consumption_label(consumption))
            for error in (d.error_message for d in consumption.dead_letters):
                below.add(Text(error, style="red"))
            for child in consumption.produced:
                add(below, child)

    for root in result.roots:
        add(tree, root)
    return tree
