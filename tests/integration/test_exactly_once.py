"""Exactly-once effects through the real PostgreSQL ledger (handlers called directly)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from functions.onboarding.partner_registration_completed import OnPartnerRegistrationCompleted
from functions.recruitment.recruitment_requested import OnRecruitmentRequested
from hexa.samples import sample
from shared.db import Tx
from shared.envelope import CloudEvent, parse
from shared.errors import Reason, TransientError
from shared.events import EventData, RecruitmentRequested
from tests.conditions import wait_for
from tests.fakes import envelope, wire
from tests.integration.helpers import pg_context, query, scalar

pytestmark = pytest.mark.integration

REQUEST = dict(
    required_skills=["python", "fastapi", "postgresql"],
    experience_level="SENIOR",
    remote_work_allowed=True,
    location_preferences=["Madrid"],
)


class CountingRecruitment(OnRecruitmentRequested):
    runs = 0

    def handle(self, event: CloudEvent, data: RecruitmentRequested, tx: Tx) -> Sequence[EventData]:
        CountingRecruitment.runs += 1
        return super().handle(event, data, tx)


@pytest.fixture(autouse=True)
def _reset() -> None:
    CountingRecruitment.runs = 0


def test_three_deliveries_one_effect_three_identical_outputs(database_url: str) -> None:
    data = sample("RecruitmentRequested", 1, **REQUEST)
    event = wire(envelope(data))
    handler = CountingRecruitment()
    contexts = [pg_context(data, database_url) for _ in range(3)]

    for ctx in contexts:
        assert handler.process(event, ctx) is None

    assert CountingRecruitment.runs == 1
    assert scalar(database_url, "SELECT count(*) FROM recruitment.jobs") == 1
    outputs = [[p.payload for p in ctx.published] for ctx in contexts]
    assert outputs[0] and outputs[0] == outputs[1] == outputs[2]
    assert scalar(database_url, "SELECT duplicates FROM eventing.inbox") == 2


def test_crash_after_commit_before_publish_republishes_stored_outputs(database_url: str) -> None:
    data = sample("RecruitmentRequested", 2, **REQUEST)
    event = wire(envelope(data))
    crashed = pg_context(data, database_url, publish_timeout_s=0.1)
    crashed.confirm_publishes = False  # the process "dies" between commit and publish

    with pytest.raises(TransientError):
        CountingRecruitment().process(event, crashed)
    committed = query(database_url, "SELECT outputs FROM eventing.inbox")[0][0]

    restarted = pg_context(data, database_url)  # a new instance gets the redelivery
    CountingRecruitment().process(event, restarted)

    assert CountingRecruitment.runs == 1
    assert [p.payload.decode() for p in restarted.published] == [o["payload"] for o in committed]
    assert len({parse(p.payload).id for p in restarted.published}) == len(committed) > 0


def test_two_concurrent_deliveries_produce_one_effect(database_url: str) -> None:
    data = sample("RecruitmentRequested", 3, **REQUEST)
    event = wire(envelope(data))
    in_handler = threading.Event()
    release = threading.Event()

    class Slow(CountingRecruitment):
        def handle(self, ev: CloudEvent, d: RecruitmentRequested, tx: Tx) -> Sequence[EventData]:
            out = super().handle(ev, d, tx)
            in_handler.set()
            release.wait(30)
            return out

    contexts = [
        pg_context(data, database_url, name="race"),
        pg_context(data, database_url, name="race"),
    ]
    errors: list[BaseException] = []

    def deliver(ctx: Any) -> None:
        try:
            Slow().process(event, ctx)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    first = threading.Thread(target=deliver, args=(contexts[0],))
    first.start()
    assert in_handler.wait(20)
    second = threading.Thread(target=deliver, args=(contexts[1],))
    second.start()
    # The second delivery must be blocked on the first one's inbox row, not running.
    wait_for(
        lambda: scalar(
            database_url,
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE application_name = 'race' AND wait_event_type = 'Lock'",
        ),
        what="the second delivery to wait on the row lock",
    )
    release.set()
    first.join(30)
    second.join(30)

    assert errors == []
    assert CountingRecruitment.runs == 1
    assert scalar(database_url, "SELECT count(*) FROM recruitment.jobs") == 1
    assert contexts[0].published and [p.payload for p in contexts[0].published] == [
        p.payload for p in contexts[1].published
    ]
    assert contexts[1].metrics["hexa_dedupe_hit"] == [1]


def test_poison_event_is_tried_max_retries_times_then_dead_lettered(database_url: str) -> None:
    data = sample(
        "PartnerRegistrationCompleted", 4, partner_type="EMPRESA", preferred_contract_type="PREMIUM"
    )
    query(
        database_url,
        "DELETE FROM onboarding.contract_templates WHERE template_id = %s",
        ("TPL-PRE-EMP",),
    )
    event = wire(envelope(data))
    handler = OnPartnerRegistrationCompleted()
    contexts = [pg_context(data, database_url, retry_attempts=1) for _ in range(3)]

    for ctx in contexts[:2]:
        with pytest.raises(TransientError):
            handler.process(event, ctx)
    handler.process(event, contexts[2])

    [dead] = contexts[2].published
    assert dead.properties["reason"] == Reason.MISSING_REFERENCE
    assert dead.properties["attempts"] == "3"
    assert dead.payload == event.encode()
    assert scalar(database_url, "SELECT attempts FROM eventing.failures") == 3
    assert query(database_url, "SELECT reason, attempts FROM eventing.dead_letters") == [
        ("missing_reference", 3)
    ]
    assert scalar(database_url, "SELECT count(*) FROM onboarding.contracts") == 0
    assert scalar(database_url, "SELECT count(*) FROM eventing.inbox") == 0


def test_permanent_error_goes_to_the_dead_letter_topic_at_once(database_url: str) -> None:
    data = sample("PartnerRegistrationCompleted", 5)
    broken = envelope(data).to_dict()
    broken["data"]["partner_type"] = "COOPERATIVE"
    ctx = pg_context(data, database_url)
    import json

    OnPartnerRegistrationCompleted().process(json.dumps(broken), ctx)

    [dead] = ctx.published
    assert dead.properties["reason"] == Reason.INVALID_DATA
    assert "partner_type" in dead.properties["error_message"]
    assert dead.properties["attempts"] == "1"
    assert scalar(database_url, "SELECT count(*) FROM eventing.dead_letters") == 1


def test_a_migration_changed_after_it_was_applied_is_refused(
    database_url: str, tmp_path: Path
) -> None:
    from shared.db import MigrationError, migrate

    first = tmp_path / "0001_first.sql"
    first.write_text("CREATE TABLE public.probe (id int);")
    assert migrate(database_url, tmp_path) == ["0001_first.sql"]
    assert migrate(database_url, tmp_path) == []  # idempotent
    first.write_text("CREATE TABLE public.probe (id bigint);")
    with pytest.raises(MigrationError, match=r"0001_first\.sql changed after it was applied"):
        migrate(database_url, tmp_path)
