"""Every row of the spec's communication matrix, end to end on the local host: the source event
is published with the official client, the consumer's state changes, and the events it emits
carry the flow's correlation id and the right causation id."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from functions.onboarding.partner_registration_completed import contract_id_for
from functions.recruitment.recruitment_requested import job_id_for
from hexa.devenv import DevEnvironment
from hexa.publisher import Publisher
from hexa.pulsar_client import new_client
from hexa.samples import sample
from shared.envelope import CloudEvent
from shared.events import REGISTRY, EventData
from tests.conditions import wait_for
from tests.integration.flows import Collector
from tests.integration.helpers import query, scalar

pytestmark = pytest.mark.integration
SNAPSHOTS = "persistent://hexabuilders/partner-management/metrics-snapshots"
MATCHED = "persistent://hexabuilders/recruitment/candidate-matched"
EMPLOYMENT = "persistent://hexabuilders/onboarding/employment-contract"


@pytest.fixture(scope="module")
def outputs(env: DevEnvironment) -> Iterator[Collector]:
    collector = Collector(env.stack.pulsar_url, [SNAPSHOTS, MATCHED, EMPLOYMENT], "matrix")
    yield collector
    collector.close()


@pytest.fixture(scope="module")
def send(env: DevEnvironment) -> Iterator[Any]:
    client = new_client(env.stack.pulsar_url)
    publisher = Publisher(client)

    def _send(data: EventData, correlationid: str | None = None) -> CloudEvent:
        event = REGISTRY.new(data, correlationid=correlationid)
        publisher.publish(event)
        return event

    yield _send
    publisher.close()
    client.close()


def db(env: DevEnvironment) -> str:
    return env.stack.database_url


def caused_by(event: CloudEvent) -> Any:
    return lambda e: e.causationid == event.id


def test_partner_registration_reaches_onboarding(env: DevEnvironment, send: Any) -> None:
    data = sample("PartnerRegistrationCompleted", 101)
    send(data)
    row = wait_for(
        lambda: query(
            db(env),
            "SELECT contract_id, status, template_id FROM"
            " onboarding.contracts WHERE partner_id = %s",
            (data.partner_id,),
        )
    )
    assert row[0][0] == contract_id_for(data.partner_id) and row[0][1] == "DRAFT"


def test_partner_validation_reaches_campaign_management(env: DevEnvironment, send: Any) -> None:
    data = sample("PartnerValidationCompleted", 102, outcome="APPROVED")
    send(data)
    assert wait_for(
        lambda: scalar(
            db(env),
            "SELECT campaigns_enabled FROM campaign.partner_permissions WHERE partner_id = %s",
            (data.partner_id,),
        )
    )


def test_recruitment_request_matches_candidates_and_partner_records_them(
    env: DevEnvironment, send: Any, outputs: Collector
) -> None:
    data = sample(
        "RecruitmentRequested",
        103,
        required_skills=["python", "postgresql"],
        experience_level="SENIOR",
        remote_work_allowed=True,
    )
    event = send(data, correlationid="CORR-RECRUIT-103")
    matches = outputs.wait(1, caused_by(event))
    assert all(m.type.endswith("CandidateMatched") for m in matches)
    assert {m.correlationid for m in matches} == {"CORR-RECRUIT-103"}
    assert {m.data["job_id"] for m in matches} == {job_id_for(data.request_id)}
    # next hop: Partner Management records each match and emits a snapshot per match
    snapshots = outputs.wait(len(matches), lambda e: e.causationid in {m.id for m in matches})
    assert {s.correlationid for s in snapshots} == {"CORR-RECRUIT-103"}
    assert wait_for(
        lambda: (
            scalar(
                db(env),
                "SELECT count(*) FROM partner.candidate_matches WHERE request_id = %s",
                (data.request_id,),
            )
            == len(matches)
        )
    )


def test_contract_signed_then_activated_updates_partner_and_campaigns(
    env: DevEnvironment, send: Any
) -> None:
    signed = sample("ContractSigned", 104)
    partner, contract = signed.partner_id, signed.contract_id
    send(signed)
    assert wait_for(
        lambda: (
            scalar(db(env), "SELECT status FROM partner.partners WHERE partner_id = %s", (partner,))
            == "CONTRACT_SIGNED"
        )
    )
    send(sample("ContractActivated", 105, partner_id=partner, contract_id=contract))
    assert wait_for(
        lambda: (
            scalar(db(env), "SELECT status FROM partner.partners WHERE partner_id = %s", (partner,))
            == "VALIDATED"
        )
    )
    permissions = wait_for(
        lambda: query(
            db(env),
            "SELECT campaign_creation_enabled, permissions"
            " FROM campaign.partner_permissions WHERE"
            " partner_id = %s",
            (partner,),
        )
    )
    assert permissions[0][0] is True and "create_campaign" in permissions[0][1]
    assert (
        scalar(
            db(env), "SELECT count(*) FROM partner.contracts WHERE contract_id = %s", (contract,)
        )
        == 1
    )


def test_candidate_matched_reaches_partner_management(
    env: DevEnvironment, send: Any, outputs: Collector
) -> None:
    data = sample("CandidateMatched", 106)
    event = send(data)
    [snapshot] = outputs.wait(1, caused_by(event))
    assert snapshot.data["candidate_matches"] == 1
    assert snapshot.correlationid == event.id  # a root event's id is its correlation id


def test_candidate_hired_reaches_partner_and_onboarding(
    env: DevEnvironment, send: Any, outputs: Collector
) -> None:
    data = sample("CandidateHired", 107)
    event = send(data, correlationid="CORR-HIRE-107")
    produced = outputs.wait(2, caused_by(event))
    by_type = {e.type.rsplit(".", 1)[1]: e for e in produced}
    assert set(by_type) == {"PartnerMetricsSnapshot", "EmploymentContractCreated"}
    assert by_type["PartnerMetricsSnapshot"].data["successful_hires"] == 1
    assert by_type["EmploymentContractCreated"].data["hiring_id"] == data.hiring_id
    assert {e.correlationid for e in produced} == {"CORR-HIRE-107"}
    assert (
        scalar(
            db(env),
            "SELECT count(*) FROM onboarding.employment_contracts WHERE hiring_id = %s",
            (data.hiring_id,),
        )
        == 1
    )


def test_performance_report_reaches_partner_management(
    env: DevEnvironment, send: Any, outputs: Collector
) -> None:
    data = sample("CampaignPerformanceReport", 108)
    event = send(data)
    [snapshot] = outputs.wait(1, caused_by(event))
    assert snapshot.data["campaign_reports"] == 1
    assert float(snapshot.data["latest_roi"]) == float(data.roi_metrics["roi"])


def test_budget_alert_reaches_partner_management_and_notifications(
    env: DevEnvironment, send: Any, outputs: Collector
) -> None:
    data = sample("BudgetAlert", 109, alert_type="EXHAUSTED")
    event = send(data)
    [snapshot] = outputs.wait(1, caused_by(event))
    assert snapshot.data["critical_alerts"] == 1
    assert wait_for(
        lambda: (
            scalar(
                db(env),
                "SELECT alert_type FROM notifications.sent WHERE alert_id = %s",
                (data.alert_id,),
            )
            == "EXHAUSTED"
        )
    )


def test_duplicate_through_the_broker_has_one_effect(env: DevEnvironment, send: Any) -> None:
    data = sample("PartnerRegistrationCompleted", 110)
    event = REGISTRY.new(data)
    client = new_client(env.stack.pulsar_url)
    publisher = Publisher(client)
    publisher.publish(event)
    publisher.publish(event)
    publisher.close()
    client.close()
    assert wait_for(
        lambda: (
            scalar(
                db(env), "SELECT duplicates FROM eventing.inbox WHERE event_id = %s", (event.id,)
            )
            == 1
        )
    )
    assert (
        scalar(
            db(env),
            "SELECT count(*) FROM onboarding.contracts WHERE partner_id = %s",
            (data.partner_id,),
        )
        == 1
    )


def test_poison_message_reaches_the_dlq_after_max_retries(env: DevEnvironment, send: Any) -> None:
    dlq = Collector(
        env.stack.pulsar_url, ["persistent://hexabuilders/onboarding/dead-letters"], "poison"
    )
    data = sample(
        "PartnerRegistrationCompleted",
        111,
        partner_type="STARTUP",
        preferred_contract_type="ENTERPRISE",
    )
    query(db(env), "DELETE FROM onboarding.contract_templates WHERE template_id = 'TPL-ENT-STA'")
    try:
        event = send(data)
        [dead] = wait_for(
            lambda: [
                m for m in (dlq.drain() or dlq.messages) if m.properties().get("ce_id") == event.id
            ],
            timeout=30,
        )
        props = dead.properties()
        assert props["reason"] == "missing_reference" and props["attempts"] == "3"
        assert props["consumer"] == "onboarding-partner-registration"
        assert props["original_topic"] == REGISTRY.get("PartnerRegistrationCompleted").topic
        assert (
            scalar(
                db(env), "SELECT attempts FROM eventing.failures WHERE event_id = %s", (event.id,)
            )
            == 3
        )
    finally:
        query(
            db(env),
            "INSERT INTO onboarding.contract_templates VALUES ('TPL-ENT-STA',"
            " 'ENTERPRISE', 'STARTUP', 'Enterprise startup agreement', 8.00, 30, 36)",
        )
        dlq.close()


def test_metrics_after_the_flows_above(env: DevEnvironment) -> None:
    """Runs last in this module: the flows, the duplicate and the poison are in the counters."""
    import urllib.request

    from prometheus_client.parser import text_string_to_metric_families

    assert env.host is not None
    with urllib.request.urlopen(env.host.metrics_url, timeout=5) as response:
        text = response.read().decode()
    samples = [s for family in text_string_to_metric_families(text) for s in family.samples]

    def total(name: str, **labels: str) -> float:
        return sum(
            s.value
            for s in samples
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
        )

    fqfn = "hexabuilders/onboarding/onboarding-partner-registration"
    assert total("pulsar_function_received_total", fqfn=fqfn) >= 4
    assert total("pulsar_function_processed_successfully_total", fqfn=fqfn) >= 3
    labels = next(
        s.labels
        for s in samples
        if s.name == "pulsar_function_received_total" and s.labels["fqfn"] == fqfn
    )
    assert labels == {
        "tenant": "hexabuilders",
        "namespace": "hexabuilders/onboarding",
        "name": "onboarding-partner-registration",
        "instance_id": "0",
        "cluster": "local",
        "fqfn": fqfn,
    }
    registration = REGISTRY.get("PartnerRegistrationCompleted").type
    assert total("events_consumed_by_type_total", type=registration) >= 4
    assert total("events_published_total", function="recruitment-recruitment-requested") >= 1
    assert total("hexa_dedupe_hits_total", function="onboarding-partner-registration") >= 1
    assert (
        total(
            "hexa_dead_letters_total",
            function="onboarding-partner-registration",
            reason="missing_reference",
        )
        == 1
    )
