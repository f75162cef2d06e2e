"""The registry against the spec (``spec/integration-events.es.md``), and its lookups.

The spec's lists are copied here as written, not derived from the code, so a registry that
drifts from the spec fails the walk.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from shared.envelope import parse
from shared.errors import PermanentError, Reason
from shared.events import REGISTRY, EventSpec, PartnerRegistrationCompleted, Registry
from shared.events.registry import CATALOGUE, Criticality

# "Topics de Apache Pulsar", every line of every service.
SPEC_TOPICS = [
    "persistent://hexabuilders/partner-management/partner-registration",
    "persistent://hexabuilders/partner-management/partner-validation",
    "persistent://hexabuilders/partner-management/recruitment-requests",
    "persistent://hexabuilders/partner-management/metrics-snapshots",
    "persistent://hexabuilders/onboarding/contract-signed",
    "persistent://hexabuilders/onboarding/contract-activated",
    "persistent://hexabuilders/onboarding/employment-contract",
    "persistent://hexabuilders/recruitment/candidate-matched",
    "persistent://hexabuilders/recruitment/candidate-hired",
    "persistent://hexabuilders/recruitment/recruitment-completed",
    "persistent://hexabuilders/campaign-management/performance-report",
    "persistent://hexabuilders/campaign-management/budget-alerts",
    "persistent://hexabuilders/campaign-management/campaign-insights",
    "persistent://hexabuilders/campaign-management/optimization-suggestions",
]

# "Matriz de Comunicación Inter-Servicios": event, origin, destination, criticality.
SPEC_MATRIX = [
    ("PartnerRegistrationCompleted", "Partner Mgmt", "Onboarding", "🔴 Alta"),
    ("PartnerValidationCompleted", "Partner Mgmt", "Campaign Mgmt", "🟡 Media"),
    ("RecruitmentRequested", "Partner Mgmt", "Recruitment", "🟡 Media"),
    ("ContractSigned", "Onboarding", "Partner Mgmt", "🔴 Alta"),
    ("ContractActivated", "Onboarding", "Campaign Mgmt", "🔴 Alta"),
    ("CandidateMatched", "Recruitment", "Partner Mgmt", "🟡 Media"),
    ("CandidateHired", "Recruitment", "Partner Mgmt + Onboarding", "🔴 Alta"),
    ("CampaignPerformanceReport", "Campaign Mgmt", "Partner Mgmt", "🟡 Media"),
    ("BudgetAlert", "Campaign Mgmt", "Partner Mgmt", "🟠 Alta"),
]
SPEC_SERVICES = {
    "Partner Mgmt": "partner-management",
    "Onboarding": "onboarding",
    "Recruitment": "recruitment",
    "Campaign Mgmt": "campaign-management",
}
SPEC_CRITICALITY = {"Alta": Criticality.HIGH, "Media": Criticality.MEDIUM}

# "Detalle de Integration Events": every field with the Python type the spec gives it.
SPEC_FIELDS: dict[str, dict[str, type]] = {
    "PartnerRegistrationCompleted": {
        "partner_id": str,
        "business_name": str,
        "email": str,
        "partner_type": str,
        "registration_data": dict,
        "validation_status": str,
        "preferred_contract_type": str,
        "registration_source": str,
        "registration_timestamp": str,
    },
    "ContractActivated": {
        "contract_id": str,
        "partner_id": str,
        "contract_type": str,
        "effective_date": str,
        "expiration_date": str,
        "campaign_permissions": list,
        "budget_limits": dict,
        "feature_flags": dict,
        "sla_terms": dict,
        "commission_structure": dict,
        "payment_terms": dict,
    },
    "RecruitmentRequested": {
        "request_id": str,
        "partner_id": str,
        "job_requirements": dict,
        "required_skills": list,
        "experience_level": str,
        "job_type": str,
        "remote_work_allowed": bool,
        "location_preferences": list,
        "salary_range": dict,
        "budget_range": dict,
        "hiring_timeline": dict,
        "urgency_level": str,
        "candidate_sources": list,
        "screening_criteria": dict,
    },
    "CandidateHired": {
        "hiring_id": str,
        "partner_id": str,
        "candidate_id": str,
        "job_id": str,
        "employment_details": dict,
        "job_title": str,
        "department": str,
        "start_date": str,
        "employment_type": str,
        "agreed_salary": float,
        "currency": str,
        "benefits_package": dict,
        "hiring_process_metrics": dict,
        "time_to_hire": int,
        "recruitment_cost": float,
    },
    "CampaignPerformanceReport": {
        "report_id": str,
        "campaign_id": str,
        "partner_id": str,
        "reporting_period": dict,
        "performance_summary": dict,
        "kpi_achievements": dict,
        "roi_metrics": dict,
        "engagement_metrics": dict,
        "period_comparison": dict,
        "benchmark_comparison": dict,
        "trend_analysis": dict,
        "performance_insights": list,
        "optimization_suggestions": list,
        "risk_indicators": list,
    },
    "BudgetAlert": {
        "alert_id": str,
        "campaign_id": str,
        "partner_id": str,
        "budget_status": dict,
        "alert_type": str,
        "threshold_reached": float,
        "current_spend": float,
        "budget_limit": float,
        "projected_spend": float,
        "days_remaining": int,
        "burn_rate": float,
        "recommended_actions": list,
        "automatic_actions_taken": list,
    },
}

# The values the spec lists in a field's comment (for a list field, the values of its items).
SPEC_ENUMS = {
    ("PartnerRegistrationCompleted", "partner_type"): ["INDIVIDUAL", "EMPRESA", "STARTUP"],
    ("PartnerRegistrationCompleted", "validation_status"): ["PENDING", "PARTIAL", "COMPLETE"],
    ("PartnerRegistrationCompleted", "preferred_contract_type"): [
        "STANDARD",
        "PREMIUM",
        "ENTERPRISE",
    ],
    ("PartnerRegistrationCompleted", "registration_source"): ["WEB", "API", "REFERRAL"],
    ("ContractActivated", "contract_type"): ["STANDARD", "PREMIUM", "ENTERPRISE"],
    ("RecruitmentRequested", "experience_level"): ["JUNIOR", "MID", "SENIOR", "EXPERT"],
    ("RecruitmentRequested", "job_type"): ["FULL_TIME", "PART_TIME", "CONTRACT"],
    ("RecruitmentRequested", "urgency_level"): ["LOW", "NORMAL", "HIGH", "URGENT"],
    ("RecruitmentRequested", "candidate_sources"): ["INTERNAL", "EXTERNAL", "REFERRALS"],
    ("CandidateHired", "employment_type"): ["PERMANENT", "CONTRACT", "INTERNSHIP"],
    ("BudgetAlert", "alert_type"): ["WARNING", "CRITICAL", "EXHAUSTED"],
}

# The "# Topic(s):" / "# Subscriber(s):" comments under each detailed event.
SPEC_EVENT_ROUTES = {
    "PartnerRegistrationCompleted": (
        "partner-management/partner-registration",
        ["onboarding-service"],
    ),
    "ContractActivated": (
        "onboarding/contract-activated",
        ["campaign-management", "partner-management"],
    ),
    "RecruitmentRequested": ("partner-management/recruitment-requests", ["recruitment-service"]),
    "CandidateHired": ("recruitment/candidate-hired", ["partner-management", "onboarding"]),
    "CampaignPerformanceReport": (
        "campaign-management/performance-report",
        ["partner-management", "analytics-service"],
    ),
    "BudgetAlert": ("campaign-management/budget-alerts", ["partner-management", "notifications"]),
}

# "# Idempotency Key:" comments.
SPEC_IDEMPOTENCY_KEYS = {"PartnerRegistrationCompleted": "partner_id"}

_JSON_TYPE_OF = {
    str: "string",
    dict: "object",
    list: "array",
    bool: "boolean",
    float: "number",
    int: "integer",
}


def wire_schema(spec: EventSpec, field: str, *inner: str) -> list[dict[str, Any]]:
    """The alternatives of a field's JSON form on the wire (or of a part of it, e.g. its
    ``items``), with ``$ref`` resolved and ``anyOf`` flattened."""
    schema = spec.model.model_json_schema(mode="serialization")

    def resolve(node: dict[str, Any]) -> list[dict[str, Any]]:
        if "$ref" in node:
            return resolve(schema["$defs"][node["$ref"].rsplit("/", 1)[-1]])
        if "anyOf" in node:
            return [alt for member in node["anyOf"] for alt in resolve(member)]
        return [node]

    node = schema["properties"][field]
    for key in inner:
        (node,) = resolve(node)
        node = node[key]
    return resolve(node)


def test_every_spec_topic_belongs_to_exactly_one_event() -> None:
    assert sorted(spec.topic for spec in REGISTRY) == sorted(SPEC_TOPICS)
    for topic in SPEC_TOPICS:
        spec = REGISTRY.for_topic(topic)
        assert spec is not None and spec.topic == topic


@pytest.mark.parametrize(("name", "origin", "destination", "criticality"), SPEC_MATRIX)
def test_every_matrix_row_is_in_the_registry(
    name: str, origin: str, destination: str, criticality: str
) -> None:
    spec = REGISTRY.get(name)

    assert spec.producer == SPEC_SERVICES[origin]
    for service in destination.split(" + "):
        assert SPEC_SERVICES[service] in spec.consumers
    assert spec.criticality is SPEC_CRITICALITY[criticality.split()[-1]]


@pytest.mark.parametrize("name", sorted(SPEC_FIELDS))
def test_every_spec_field_is_in_the_model_with_the_spec_wire_type(name: str) -> None:
    spec = REGISTRY.get(name)

    assert set(SPEC_FIELDS[name]) <= set(spec.model.model_fields)
    for field, python_type in SPEC_FIELDS[name].items():
        wire_types = {alt.get("type") for alt in wire_schema(spec, field)}
        assert _JSON_TYPE_OF[python_type] in wire_types, field


@pytest.mark.parametrize(("event", "field"), sorted(SPEC_ENUMS))
def test_every_spec_enum_has_exactly_the_spec_values(event: str, field: str) -> None:
    spec = REGISTRY.get(event)
    (alternative,) = wire_schema(spec, field)
    if alternative["type"] == "array":
        (alternative,) = wire_schema(spec, field, "items")

    assert alternative["enum"] == SPEC_ENUMS[event, field]


@pytest.mark.parametrize("name", sorted(SPEC_EVENT_ROUTES))
def test_every_detailed_event_has_the_spec_topic_and_subscribers(name: str) -> None:
    category, subscribers = SPEC_EVENT_ROUTES[name]
    spec = REGISTRY.get(name)

    assert spec.topic == f"persistent://hexabuilders/{category}"
    assert sorted(spec.consumers) == sorted(s.removesuffix("-service") for s in subscribers)


def test_the_spec_idempotency_keys() -> None:
    for name, key in SPEC_IDEMPOTENCY_KEYS.items():
        assert REGISTRY.get(name).key_field == key


@pytest.mark.parametrize("spec", list(REGISTRY), ids=lambda spec: spec.name)
def test_keys_and_aggregates_are_required_fields(spec: EventSpec) -> None:
    # A key that could be absent would collapse distinct events onto one inbox record.
    fields = spec.model.model_fields
    assert fields[spec.key_field].is_required()
    assert fields[spec.aggregate_field].is_required()


def test_types_sources_and_subjects_follow_the_spec_example() -> None:
    example = parse(
        '{"specversion": "1.0", "type": "com.hexabuilders.partners.PartnerRegistrationCompleted",'
        ' "source": "//partners/550e8400-e29b-41d4-a716-446655440000", "id": "A234-1234-1234",'
        ' "subject": "550e8400-e29b-41d4-a716-446655440000", "data": {'
        ' "partner_id": "550e8400-e29b-41d4-a716-446655440000",'
        ' "business_name": "TechSolutions Inc", "email": "contact@techsolutions.com",'
        ' "partner_type": "EMPRESA"}}'
    )
    data = PartnerRegistrationCompleted.model_validate(example.data)

    ours = REGISTRY.new(data)

    assert (ours.type, ours.source, ours.subject) == (
        example.type,
        example.source,
        example.subject,
    )
    assert ours.dataschema == "urn:hexabuilders:schema:PartnerRegistrationCompleted:v1"
    assert REGISTRY.validate(ours).data == data


def test_lookup_by_type_or_short_name() -> None:
    spec = REGISTRY.get("BudgetAlert")

    assert REGISTRY.get("com.hexabuilders.campaigns.BudgetAlert") is spec
    assert REGISTRY.for_model(spec.model) is spec
    assert REGISTRY.for_topic("persistent://hexabuilders/campaign-management/nope") is None
    with pytest.raises(PermanentError) as info:
        REGISTRY.get("com.hexabuilders.campaigns.Nope")
    assert info.value.reason is Reason.UNKNOWN_TYPE


def test_idempotency_keys_are_namespaced_by_event() -> None:
    spec = REGISTRY.get("PartnerRegistrationCompleted")
    data = PartnerRegistrationCompleted(
        partner_id="550e8400-e29b-41d4-a716-446655440000",
        business_name="TechSolutions Inc",
        email="contact@techsolutions.com",
        partner_type="EMPRESA",
    )

    key = spec.idempotency_key(data)

    assert key == "PartnerRegistrationCompleted/550e8400-e29b-41d4-a716-446655440000"


def test_a_foreign_dataschema_is_left_to_its_owner() -> None:
    spec = REGISTRY.get("PartnerRegistrationCompleted")
    event = REGISTRY.new(
        spec.parse_data(
            {
                "partner_id": "550e8400-e29b-41d4-a716-446655440000",
                "business_name": "TechSolutions Inc",
                "email": "contact@techsolutions.com",
                "partner_type": "EMPRESA",
            }
        )
    )

    foreign = replace(event, dataschema="https://schemas.example.com/partner.json")

    assert REGISTRY.validate(foreign).spec is spec


def test_a_catalogue_with_duplicate_entries_is_refused() -> None:
    with pytest.raises(ValueError, match="distinct"):
        Registry([*CATALOGUE, replace(CATALOGUE[0], name="Duplicate")])
