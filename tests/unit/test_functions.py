"""Each handler's domain logic, with a fake Context and a mocked transaction."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from unittest.mock import MagicMock

import pytest

from functions.campaign.contract_activated import OnContractActivated as CampaignActivated
from functions.campaign.partner_validation_completed import OnPartnerValidationCompleted
from functions.notifications.budget_alert import OnBudgetAlert as NotifyBudgetAlert
from functions.onboarding.candidate_hired import OnCandidateHired as OnboardingHired
from functions.onboarding.partner_registration_completed import (
    OnPartnerRegistrationCompleted,
    contract_id_for,
)
from functions.partner.budget_alert import OnBudgetAlert as PartnerBudgetAlert
from functions.partner.campaign_performance_report import OnCampaignPerformanceReport
from functions.partner.candidate_hired import OnCandidateHired as PartnerHired
from functions.partner.candidate_matched import OnCandidateMatched
from functions.partner.contract_activated import OnContractActivated as PartnerActivated
from functions.partner.contract_signed import OnContractSigned
from functions.recruitment.matching import Candidate, Job, best_matches, score
from functions.recruitment.recruitment_requested import OnRecruitmentRequested, job_id_for
from hexa.samples import sample
from shared.db import Tx
from shared.envelope import parse
from shared.errors import Reason
from shared.events import REGISTRY, EventData
from shared.events.common import ExperienceLevel
from shared.handler import Handler
from tests.fakes import context_for, envelope, make_handler, wire

PARTNER = "550e8400-e29b-41d4-a716-446655440000"


def run(cls: type[Handler[Any]], data: EventData, tx: Any, **config: Any) -> Any:
    handler, memory = make_handler(cls, tx)
    spec = REGISTRY.for_model(type(data))
    ctx = context_for(spec.topic, **config)
    event = envelope(data, correlationid="CORR-9")
    handler.process(wire(event), ctx)
    return ctx, event, memory


def sql_of(tx: MagicMock) -> str:
    return " ".join(str(c.args[0]) for c in tx.execute.call_args_list + tx.one.call_args_list)


def metrics_row(**values: Any) -> dict[str, Any]:
    row = {
        "successful_hires": 0,
        "total_recruitment_cost": Decimal(0),
        "total_time_to_hire": 0,
        "candidate_matches": 0,
        "campaign_reports": 0,
        "latest_roi": None,
        "budget_alerts": 0,
        "critical_alerts": 0,
        "status": "VALIDATED",
    }
    return {**row, **values}


def test_registration_creates_a_contract_draft_from_the_matching_template() -> None:
    tx = MagicMock(spec=Tx)
    tx.one.return_value = {"template_id": "TPL-PRE-STA"}
    data = sample(
        "PartnerRegistrationCompleted",
        1,
        partner_id=PARTNER,
        partner_type="STARTUP",
        preferred_contract_type="PREMIUM",
    )
    ctx, _, _ = run(OnPartnerRegistrationCompleted, data, tx)
    assert tx.one.call_args.args[1] == ("PREMIUM", "STARTUP")
    insert = tx.execute.call_args.args[1]
    assert insert[0] == contract_id_for(PARTNER) and insert[1] == PARTNER
    assert insert[3] == "TPL-PRE-STA"
    assert ctx.published == []


def test_registration_without_a_template_is_a_missing_reference_in_the_end() -> None:
    tx = MagicMock(spec=Tx)
    tx.one.return_value = None
    data = sample("PartnerRegistrationCompleted", 2)
    ctx, _, _ = run(OnPartnerRegistrationCompleted, data, tx, max_retries=1)
    assert ctx.published[0].properties["reason"] == Reason.MISSING_REFERENCE
    tx.execute.assert_not_called()


def test_hire_creates_an_employment_contract_and_announces_it() -> None:
    tx = MagicMock(spec=Tx)
    data = sample("CandidateHired", 3, partner_id=PARTNER)
    ctx, event, _ = run(OnboardingHired, data, tx)
    [out] = [parse(p.payload) for p in ctx.published]
    assert out.type == "com.hexabuilders.onboarding.EmploymentContractCreated"
    assert out.data["hiring_id"] == data.hiring_id  # type: ignore[attr-defined]
    assert out.data["salary"] == float(data.agreed_salary)  # type: ignore[attr-defined]
    assert (out.correlationid, out.causationid) == ("CORR-9", event.id)
    assert tx.execute.call_args.args[1][1] == data.hiring_id  # type: ignore[attr-defined]


def candidate_row(i: int, skills: list[str], level: str, location: str, remote: bool) -> dict:
    return {
        "candidate_id": f"00000000-0000-4000-8000-00000000000{i}",
        "full_name": f"C{i}",
        "skills": skills,
        "experience_level": level,
        "location": location,
        "open_to_remote": remote,
    }


def test_recruitment_request_creates_a_job_and_emits_the_top_matches() -> None:
    tx = MagicMock(spec=Tx)
    tx.all.return_value = [
        candidate_row(1, ["python", "fastapi", "postgresql"], "SENIOR", "Madrid", True),
        candidate_row(2, ["python"], "SENIOR", "Lima", False),
        candidate_row(3, ["java"], "SENIOR", "Madrid", True),
        candidate_row(4, ["python", "fastapi"], "MID", "Lisboa", True),
    ]
    data = sample(
        "RecruitmentRequested",
        4,
        partner_id=PARTNER,
        required_skills=["python", "fastapi", "postgresql"],
        experience_level="SENIOR",
        remote_work_allowed=True,
        location_preferences=["Madrid"],
    )
    ctx, event, _ = run(OnRecruitmentRequested, data, tx, top_matches=2)
    outs = [parse(p.payload) for p in ctx.published]
    assert [o.data["candidate_id"][-1] for o in outs] == ["1", "4"]
    assert [o.data["rank"] for o in outs] == [1, 2]
    assert outs[0].data["match_score"] == 100
    assert {o.data["job_id"] for o in outs} == {job_id_for(data.request_id)}  # type: ignore[attr-defined]
    assert all(o.causationid == event.id for o in outs)
    assert tx.execute.call_count == 1 + 2  # the job, then one row per match


def test_scoring_weights_skills_experience_and_location() -> None:
    job = Job(("python", "sql"), ExperienceLevel.SENIOR, remote_allowed=False, locations=("Lima",))
    perfect = Candidate("a", "A", ("Python", "SQL"), ExperienceLevel.SENIOR, "Lima", False)
    half = Candidate("b", "B", ("python",), ExperienceLevel.EXPERT, "Quito", True)
    none = Candidate("c", "C", ("go",), ExperienceLevel.SENIOR, "Lima", False)
    assert score(job, perfect).score == Decimal("100.00")
    assert score(job, half).score == Decimal("48.00")  # 30 skills + 18 one level above + 0
    assert [m.candidate.candidate_id for m in best_matches(job, [none, half, perfect], 5)] == [
        "a",
        "b",
    ]


def test_contract_signed_advances_the_partner_status() -> None:
    tx = MagicMock(spec=Tx)
    data = sample("ContractSigned", 5, partner_id=PARTNER)
    run(OnContractSigned, data, tx)
    args = tx.execute.call_args.args[1]
    assert args[:2] == (PARTNER, "CONTRACT_SIGNED")
    assert "THEN EXCLUDED.status" in tx.execute.call_args.args[0]  # never moves backwards


def test_contract_activated_validates_the_partner_and_records_the_contract() -> None:
    tx = MagicMock(spec=Tx)
    data = sample("ContractActivated", 6, partner_id=PARTNER)
    run(PartnerActivated, data, tx)
    status, contract = (c.args for c in tx.execute.call_args_list)
    assert status[1][:2] == (PARTNER, "VALIDATED")
    assert "partner.contracts" in contract[0] and contract[1][0] == data.contract_id  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("cls", "name", "overrides", "increments"),
    [
        (OnCandidateMatched, "CandidateMatched", {}, {"candidate_matches": 1}),
        (
            PartnerHired,
            "CandidateHired",
            {"recruitment_cost": Decimal("3000.50"), "time_to_hire": 20},
            {
                "successful_hires": 1,
                "total_recruitment_cost": Decimal("3000.50"),
                "total_time_to_hire": 20,
            },
        ),
        (OnCampaignPerformanceReport, "CampaignPerformanceReport", {}, {"campaign_reports": 1}),
        (
            PartnerBudgetAlert,
            "BudgetAlert",
            {"alert_type": "CRITICAL"},
            {"budget_alerts": 1, "critical_alerts": 1},
        ),
    ],
)
def test_metric_changes_emit_a_snapshot(
    cls: type[Handler[Any]], name: str, overrides: dict[str, Any], increments: dict[str, Any]
) -> None:
    tx = MagicMock(spec=Tx)
    tx.one.return_value = metrics_row(successful_hires=2, total_time_to_hire=50)
    data = sample(name, 7, partner_id=PARTNER, **overrides)
    ctx, event, _ = run(cls, data, tx)
    [snapshot] = [parse(p.payload) for p in ctx.published]
    assert snapshot.type == "com.hexabuilders.partners.PartnerMetricsSnapshot"
    assert snapshot.data["average_time_to_hire"] == 25
    assert snapshot.data["trigger_event_type"] == event.type
    assert snapshot.causationid == event.id
    metrics_sql, params = tx.one.call_args.args
    for column, value in increments.items():
        assert column in metrics_sql and value in params


def test_campaign_creation_enabled_on_contract_activation() -> None:
    tx = MagicMock(spec=Tx)
    data = sample("ContractActivated", 8, partner_id=PARTNER)
    run(CampaignActivated, data, tx)
    sql, params = tx.execute.call_args.args
    assert "campaign_creation_enabled = true" in sql
    assert params[0] == PARTNER and params[4].adapted == {
        "monthly": "10000",
        "per_campaign": "2500",
    }


@pytest.mark.parametrize(("outcome", "enabled"), [("APPROVED", True), ("REJECTED", False)])
def test_campaigns_enabled_by_validation(outcome: str, enabled: bool) -> None:
    tx = MagicMock(spec=Tx)
    run(OnPartnerValidationCompleted, sample("PartnerValidationCompleted", 9, outcome=outcome), tx)
    assert tx.execute.call_args.args[1][1] is enabled


@pytest.mark.parametrize(
    ("alert_type", "sent"), [("WARNING", 0), ("CRITICAL", 1), ("EXHAUSTED", 1)]
)
def test_notifications_only_for_critical_and_exhausted(alert_type: str, sent: int) -> None:
    tx = MagicMock(spec=Tx)
    handler, _ = make_handler(NotifyBudgetAlert, tx)
    sns = MagicMock()
    sns.publish.return_value = {"MessageId": "m-1"}
    handler._sns = sns  # type: ignore[attr-defined]
    data = sample("BudgetAlert", 10, alert_type=alert_type)
    ctx = context_for(REGISTRY.for_model(type(data)).topic, sns_topic_arn="arn:aws:sns:x:1:t")
    handler.process(wire(envelope(data)), ctx)
    assert sns.publish.call_count == sent == tx.execute.call_count
    if sent:
        assert sns.publish.call_args.kwargs["TopicArn"] == "arn:aws:sns:x:1:t"
