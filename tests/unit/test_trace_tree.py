"""``hexa.trace.build``: the causation tree from ledger rows alone, no database."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from rich.console import Console

from hexa.inspect import dumps
from hexa.trace import (
    DEAD_LETTERED,
    DUPLICATE,
    PROCESSED,
    RETRIED,
    Consumed,
    DeadLettered,
    Failed,
    Ledger,
    Produced,
    Trace,
    build,
    render,
)

T0 = datetime(2025, 1, 15, 10, 30, tzinfo=UTC)
TYPE = "com.hexabuilders.test.{}"
TOPIC = "persistent://hexabuilders/test/{}"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def consumed(
    consumer: str,
    event_id: str,
    causation_id: str | None,
    *outputs: str,
    when: float = 0,
    duplicates: int = 0,
) -> Consumed:
    return Consumed(
        consumer=consumer,
        event_id=event_id,
        event_type=TYPE.format(event_id.upper()),
        causation_id=causation_id,
        topic=TOPIC.format(event_id),
        outputs=tuple(Produced(o, TYPE.format(o.upper()), TOPIC.format(o)) for o in outputs),
        duplicates=duplicates,
        received_at=at(when),
        completed_at=at(when + 0.01),
        last_duplicate_at=at(when + 1) if duplicates else None,
    )


def failed(consumer: str, event_id: str, causation_id: str | None, attempts: int) -> Failed:
    return Failed(
        consumer=consumer,
        event_id=event_id,
        event_type=TYPE.format(event_id.upper()),
        causation_id=causation_id,
        attempts=attempts,
        first_failure_at=at(0),
        last_failure_at=at(attempts),
        last_reason="missing_reference",
        last_error="TransientError: no template",
    )


def dead_lettered(consumer: str, event_id: str, causation_id: str | None) -> DeadLettered:
    return DeadLettered(
        consumer=consumer,
        event_id=event_id,
        event_type=TYPE.format(event_id.upper()),
        causation_id=causation_id,
        topic=TOPIC.format(event_id),
        reason="missing_reference",
        error_class="TransientError",
        error_message="missing_reference: no template",
        dead_letter_topic=TOPIC.format("dead-letters"),
        attempts=3,
        dead_lettered_at=at(3),
    )


def shape(trace: Trace) -> list[Any]:
    """(event, [(consumer, outcomes, [children...])]) nested, for compact assertions."""

    def event(node: Any) -> Any:
        return (
            node["event_id"],
            [
                (c["consumer"], c["outcomes"], [event(p) for p in c["produced"]])
                for c in node["consumptions"]
            ],
        )

    return [event(root) for root in trace.to_json()["roots"]]


# A request fans out to two matches; each match is consumed, one of them twice (deduped).
FLOW = Ledger(
    "CORR-1",
    consumed=(
        consumed("recruitment", "request", "cmd-outside-the-flow", "match-1", "match-2"),
        consumed("partner", "match-1", "request", "snapshot-1", when=1, duplicates=1),
        consumed("partner", "match-2", "request", "snapshot-2", when=2),
    ),
)


def test_each_consumption_sits_under_its_event_and_its_outputs_under_it() -> None:
    assert shape(build(FLOW)) == [
        (
            "request",
            [
                (
                    "recruitment",
                    [PROCESSED],
                    [
                        ("match-1", [("partner", [PROCESSED, DUPLICATE], [("snapshot-1", [])])]),
                        ("match-2", [("partner", [PROCESSED], [("snapshot-2", [])])]),
                    ],
                )
            ],
        )
    ]


def test_an_event_nobody_consumed_is_known_from_its_producer() -> None:
    trace = build(FLOW)
    snapshot = next(e for e in trace.events() if e.event_id == "snapshot-1")

    assert snapshot.causation_id == "match-1"
    assert snapshot.event_type == TYPE.format("SNAPSHOT-1")
    assert snapshot.topic == TOPIC.format("snapshot-1")
    assert snapshot.consumptions == []


def test_summary_counts_events_and_what_happened_to_each_consumption() -> None:
    assert build(FLOW).summary() == {
        "events": 5,
        "consumptions": 3,
        RETRIED: 0,
        DEAD_LETTERED: 0,
        PROCESSED: 3,
        DUPLICATE: 1,
    }


def test_a_dead_letter_replayed_after_the_fix_reads_retried_dead_lettered_processed() -> None:
    ledger = Ledger(
        "CORR-2",
        consumed=(consumed("onboarding", "registration", None, when=60),),
        failed=(failed("onboarding", "registration", None, 3),),
        dead_lettered=(dead_lettered("onboarding", "registration", None),),
    )

    [root] = build(ledger).to_json()["roots"]
    [consumption] = root["consumptions"]

    assert consumption["outcomes"] == [RETRIED, DEAD_LETTERED, PROCESSED]
    assert consumption["outcome"] == PROCESSED
    assert consumption["failed_attempts"] == 3
    assert consumption["last_error"] == "TransientError: no template"
    assert [d["reason"] for d in consumption["dead_letters"]] == ["missing_reference"]


def test_where_a_consumption_stands_without_an_inbox_row() -> None:
    ledger = Ledger(
        "CORR-3",
        failed=(failed("a", "event", None, 3), failed("b", "event", None, 1)),
        dead_lettered=(dead_lettered("a", "event", None),),
    )

    [root] = build(ledger).roots
    stands = {c.consumer: (c.outcome, c.outcomes) for c in root.consumptions}

    assert stands == {
        "a": (DEAD_LETTERED, (RETRIED, DEAD_LETTERED)),
        "b": (RETRIED, (RETRIED,)),
    }


def test_failures_of_several_messages_of_one_event_add_up() -> None:
    # A replay is a new message, so its failures are a second row for the same event.
    ledger = Ledger("CORR-4", failed=(failed("a", "event", None, 3), failed("a", "event", None, 2)))

    [root] = build(ledger).roots

    assert root.consumptions[0].failed_attempts == 5


def test_roots_come_first_seen_first_and_a_gap_in_the_ledger_loses_no_event() -> None:
    ledger = Ledger(
        "CORR-5",
        consumed=(
            consumed("x", "late-root", None, when=50),
            consumed("x", "early-root", "outside", "child", when=10),
            # Caused by an event of the flow, but no consumption lists it as an output.
            consumed("y", "stray", "early-root", when=20),
        ),
    )

    trace = build(ledger)

    assert [r.event_id for r in trace.roots] == ["early-root", "late-root", "stray"]
    assert sorted(e.event_id for e in trace.events()) == sorted(
        ["early-root", "late-root", "stray", "child"]
    )


def test_the_json_does_not_depend_on_the_order_of_the_rows() -> None:
    rows = list(FLOW.consumed)
    random.Random(7).shuffle(rows)
    assert rows != list(FLOW.consumed)
    shuffled = Ledger(FLOW.correlation_id, consumed=tuple(rows))

    assert dumps(build(shuffled).to_json()) == dumps(build(FLOW).to_json())
    document = json.loads(dumps(build(FLOW).to_json()))
    assert document["roots"][0]["consumptions"][0]["received_at"] == "2025-01-15T10:30:00+00:00"


def test_the_rendered_tree_names_every_hop_and_its_outcome() -> None:
    ledger = Ledger(
        "CORR-6",
        consumed=(consumed("onboarding", "registration", None, "signed", when=60),),
        failed=(failed("onboarding", "registration", None, 3),),
        dead_lettered=(dead_lettered("onboarding", "registration", None),),
    )
    console = Console(width=200, record=True)

    console.print(render(build(ledger)))
    text = console.export_text()

    assert "flow CORR-6" in text
    assert "REGISTRATION registration" in text and "SIGNED signed" in text
    assert (
        "onboarding: retried (3 failed deliveries) → dead-lettered (missing_reference)"
        " → processed" in text
    )
    assert "missing_reference: no template" in text
    assert text.index("REGISTRATION") < text.index("onboarding:") < text.index("SIGNED")
