"""``hexa dlq`` on the whole platform: a poison event is dead-lettered, its cause is fixed, and a
replay processes it exactly once; listing never removes anything; purge asks first."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pulsar
import pytest

from functions.onboarding.partner_registration_completed import contract_id_for
from hexa.cli.dlq import dlq
from hexa.cli.trace import trace
from hexa.dead_letters import REPLAYED_FROM
from hexa.devenv import DevEnvironment
from hexa.publisher import Publisher
from hexa.pulsar_client import new_client
from hexa.samples import sample
from hexa.trace import DEAD_LETTERED, PROCESSED, RETRIED
from shared.envelope import CloudEvent, serialize
from shared.events import REGISTRY
from tests.conditions import wait_for
from tests.integration.cli import assert_bad_input, invoke, run_json
from tests.integration.flows import Collector
from tests.integration.helpers import query, scalar

pytestmark = pytest.mark.integration

REGISTRATIONS = REGISTRY.get("PartnerRegistrationCompleted").topic
REQUESTS = REGISTRY.get("RecruitmentRequested").topic
ONBOARDING_DLQ = "persistent://hexabuilders/onboarding/dead-letters"
TEMPLATE = "('TPL-ENT-STA', 'ENTERPRISE', 'STARTUP', 'Enterprise startup agreement', 8.00, 30, 36)"


@pytest.fixture(scope="module")
def registrations(env: DevEnvironment) -> Iterator[Collector]:
    """Everything on the registration topic, replays included."""
    collector = Collector(env.stack.pulsar_url, [REGISTRATIONS], "dlq-registrations")
    yield collector
    collector.close()


def received(collector: Collector) -> list[pulsar.Message]:
    collector.drain()
    return collector.messages


def send(env: DevEnvironment, topic: str, payload: bytes, key: str | None = None) -> None:
    client = new_client(env.stack.pulsar_url)
    publisher = Publisher(client)
    try:
        publisher.send_raw(topic, payload, key=key)
    finally:
        publisher.close()
        client.close()


def dead_letters(env: DevEnvironment, *args: str) -> list[dict[str, Any]]:
    letters: list[dict[str, Any]] = run_json(env, dlq, "list", *args)["dead_letters"]
    return letters


def contracts_of(env: DevEnvironment, partner_id: str) -> int:
    return int(
        scalar(
            env.stack.database_url,
            "SELECT count(*) FROM onboarding.contracts WHERE partner_id = %s",
            (partner_id,),
        )
    )


def inbox_duplicates(env: DevEnvironment, event: CloudEvent) -> Any:
    return scalar(
        env.stack.database_url,
        "SELECT duplicates FROM eventing.inbox WHERE event_id = %s",
        (event.id,),
    )


@pytest.fixture(scope="module")
def poison(env: DevEnvironment) -> CloudEvent:
    """A registration that fails for missing reference data, until its retries run out."""
    query(
        env.stack.database_url,
        "DELETE FROM onboarding.contract_templates WHERE template_id = 'TPL-ENT-STA'",
    )
    data = sample(
        "PartnerRegistrationCompleted",
        501,
        partner_type="STARTUP",
        preferred_contract_type="ENTERPRISE",
    )
    event = REGISTRY.new(data)
    send(env, REGISTRATIONS, serialize(event), key=data.partner_id)  # type: ignore[attr-defined]
    # The ledger records a dead letter after the broker confirmed it on the DLQ.
    wait_for(
        lambda: scalar(
            env.stack.database_url,
            "SELECT count(*) FROM eventing.dead_letters WHERE event_id = %s",
            (event.id,),
        ),
        timeout=30,
        what="the registration dead-lettered",
    )
    return event


def test_list_and_show_leave_the_dead_letter_pending(
    env: DevEnvironment, poison: CloudEvent
) -> None:
    [letter] = dead_letters(env, "onboarding")
    props = letter["properties"]
    assert props["ce_id"] == poison.id and props["reason"] == "missing_reference"
    assert props["consumer"] == "onboarding-partner-registration"
    assert props["original_topic"] == REGISTRATIONS and props["attempts"] == "3"

    shown = run_json(env, dlq, "show", ONBOARDING_DLQ, poison.id)
    assert shown["payload"]["id"] == poison.id
    assert shown["message_id"] == letter["message_id"]
    assert run_json(env, dlq, "show", "onboarding", "1")["message_id"] == letter["message_id"]

    text = invoke(env, dlq, "list", "onboarding")
    assert text.exit_code == 0 and poison.id in text.stdout and "missing_reference" in text.stdout
    assert [x["message_id"] for x in dead_letters(env, "onboarding")] == [letter["message_id"]]


def test_filters_select_by_reason_and_by_time(env: DevEnvironment, poison: CloudEvent) -> None:
    assert len(dead_letters(env, "onboarding", "--reason", "missing_reference")) == 1
    assert dead_letters(env, "onboarding", "--reason", "malformed_json") == []
    assert len(dead_letters(env, "onboarding", "--since", "1h")) == 1
    assert dead_letters(env, "onboarding", "--since", "2999-01-01T00:00:00") == []


def test_a_dry_run_replays_nothing(env: DevEnvironment, poison: CloudEvent) -> None:
    planned = run_json(env, dlq, "replay", "onboarding", "--dry-run")
    assert planned["dry_run"] is True
    assert [x["properties"]["ce_id"] for x in planned["replayed"]] == [poison.id]
    assert len(dead_letters(env, "onboarding")) == 1
    assert contracts_of(env, poison.data["partner_id"]) == 0


@pytest.fixture(scope="module")
def replayed(env: DevEnvironment, poison: CloudEvent) -> tuple[dict[str, Any], dict[str, Any]]:
    """The cause fixed (the template is back) and the dead letter replayed: (letter, report)."""
    [letter] = dead_letters(env, "onboarding")
    query(env.stack.database_url, f"INSERT INTO onboarding.contract_templates VALUES {TEMPLATE}")
    return letter, run_json(env, dlq, "replay", "onboarding", "--rate", "50")


def test_replay_after_the_fix_processes_the_event_exactly_once(
    env: DevEnvironment,
    poison: CloudEvent,
    replayed: tuple[dict[str, Any], dict[str, Any]],
    registrations: Collector,
) -> None:
    letter, report = replayed
    partner_id = poison.data["partner_id"]

    [entry] = report["replayed"]
    assert entry["ce_id"] == poison.id and entry["original_topic"] == REGISTRATIONS
    assert entry["dead_letter_message_id"] == letter["message_id"]
    assert wait_for(lambda: contracts_of(env, partner_id) == 1, what="the contract draft")
    assert scalar(
        env.stack.database_url,
        "SELECT contract_id FROM onboarding.contracts WHERE partner_id = %s",
        (partner_id,),
    ) == contract_id_for(partner_id)
    # The republished message is the original event under its key, marked as a replay.
    [copy] = wait_for(
        lambda: [m for m in received(registrations) if REPLAYED_FROM in m.properties()],
        what="the replayed message",
    )
    assert json.loads(copy.data())["id"] == poison.id
    assert copy.partition_key() == partner_id
    assert copy.properties() == {
        "ce_id": poison.id,
        "ce_type": poison.type,
        REPLAYED_FROM: letter["message_id"],
    }
    assert dead_letters(env, "onboarding") == []


def test_replaying_again_changes_nothing(
    env: DevEnvironment, poison: CloudEvent, replayed: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    wait_for(lambda: contracts_of(env, poison.data["partner_id"]) == 1, what="the first replay")
    before = inbox_duplicates(env, poison)

    assert run_json(env, dlq, "replay", "onboarding")["replayed"] == []
    assert contracts_of(env, poison.data["partner_id"]) == 1
    assert inbox_duplicates(env, poison) == before  # nothing was sent again


def test_a_replay_whose_ack_was_lost_has_no_second_effect(
    env: DevEnvironment, poison: CloudEvent, replayed: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    wait_for(lambda: contracts_of(env, poison.data["partner_id"]) == 1, what="the first replay")
    # What a crash between republishing and acknowledging would leave: a second copy.
    send(env, REGISTRATIONS, serialize(poison), key=poison.data["partner_id"])

    assert wait_for(lambda: inbox_duplicates(env, poison) == 1, what="the copy deduplicated")
    assert contracts_of(env, poison.data["partner_id"]) == 1


def test_the_trace_of_the_replayed_event_tells_its_story(
    env: DevEnvironment, poison: CloudEvent, replayed: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    wait_for(lambda: contracts_of(env, poison.data["partner_id"]) == 1, what="the first replay")

    [root] = run_json(env, trace, poison.id)["roots"]
    [consumption] = root["consumptions"]

    assert root["event_id"] == poison.id
    assert consumption["consumer"] == "onboarding-partner-registration"
    assert consumption["outcome"] == PROCESSED
    assert consumption["outcomes"][:3] == [RETRIED, DEAD_LETTERED, PROCESSED]
    assert consumption["failed_attempts"] == 3
    assert [d["reason"] for d in consumption["dead_letters"]] == ["missing_reference"]


def test_purge_asks_first_then_removes_only_what_was_selected(env: DevEnvironment) -> None:
    send(env, REQUESTS, b"{not json")
    send(env, REQUESTS, b"\xff\xfe")
    wait_for(
        lambda: (
            scalar(
                env.stack.database_url,
                "SELECT count(*) FROM eventing.dead_letters WHERE consumer = %s",
                ("recruitment-recruitment-requested",),
            )
            == 2
        ),
        what="2 dead letters",
    )

    declined = invoke(env, dlq, "purge", "recruitment", "--reason", "malformed_json", input="n\n")
    assert declined.exit_code == 1
    assert declined.stderr.splitlines()[-1] == "error: aborted: nothing purged"
    assert len(dead_letters(env, "recruitment")) == 2

    shown = run_json(env, dlq, "show", "recruitment", "1")
    assert shown["payload_text"] == "{not json" and "payload" not in shown

    purged = run_json(env, dlq, "purge", "recruitment", "--reason", "malformed_json", "--yes")
    assert [x["properties"]["reason"] for x in purged["purged"]] == ["malformed_json"]
    [left] = dead_letters(env, "recruitment")
    assert left["properties"]["reason"] == "not_utf8"


@pytest.mark.parametrize(
    ("args", "reason", "fragment"),
    [
        (("list", "nowhere"), "unknown_topic", "onboarding, partner-management, recruitment"),
        (("replay", "persistent://hexabuilders/onboarding/inputs"), "unknown_topic", "valid:"),
        (("list", "onboarding", "--since", "yesterday"), "invalid_since", "'yesterday'"),
        (("purge", "onboarding", "--reason", "malformed"), "unknown_reason", "malformed_json"),
        (("show", "onboarding", "no-such-event"), "unknown_dead_letter", "'no-such-event'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    env: DevEnvironment, args: tuple[str, ...], reason: str, fragment: str
) -> None:
    assert_bad_input(invoke(env, dlq, *args), reason, fragment)


def test_part_of_a_producer_batch_cannot_be_taken_off_the_queue(env: DevEnvironment) -> None:
    client = new_client(env.stack.pulsar_url)
    producer = client.create_producer(
        "persistent://hexabuilders/notifications/dead-letters",
        batching_enabled=True,
        batching_max_publish_delay_ms=200,
    )
    for ce_id in ("batched-1", "batched-2"):
        producer.send_async(b"{}", None, properties={"ce_id": ce_id, "reason": "handler_error"})
    producer.flush()
    producer.close()
    client.close()
    letters = dead_letters(env, "notifications")
    assert len({x["message_id"].rsplit(",", 1)[0] for x in letters}) == 1  # one stored entry

    partial = invoke(env, dlq, "purge", "notifications", "--id", "batched-1", "--yes")

    assert_bad_input(partial, "partial_batch", "share a batch with 2")
    assert len(dead_letters(env, "notifications")) == 2
    whole = run_json(env, dlq, "purge", "notifications", "--yes")
    assert len(whole["purged"]) == 2
    assert dead_letters(env, "notifications") == []
