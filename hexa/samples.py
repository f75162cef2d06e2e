"""Realistic, reproducible example events, one builder per catalogue entry.

Tests, ``hexa simulate`` and the README's examples all draw from here, so a sample that stops
validating against its model fails everywhere at once.  Every builder takes a seeded
``random.Random`` and keyword overrides for the ids that tie a partner's story together.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from shared.events import (
    BudgetAlert,
    CampaignInsightsGenerated,
    CampaignPerformanceReport,
    CandidateHired,
    CandidateMatched,
    ContractActivated,
    ContractSigned,
    EmploymentContractCreated,
    EventData,
    OptimizationSuggested,
    PartnerMetricsSnapshot,
    PartnerRegistrationCompleted,
    PartnerValidationCompleted,
    RecruitmentCompleted,
    RecruitmentRequested,
)

_NAMES = [
    "TechSolutions",
    "Andes Digital",
    "Mar Azul",
    "Nube Labs",
    "Orbita",
    "Ceiba Growth",
    "Brava Studio",
    "Pampa Data",
    "Sierra Cloud",
    "Lumen Media",
    "Quetzal Apps",
    "Faro",
]
_SUFFIX = {"INDIVIDUAL": "", "EMPRESA": " S.L.", "STARTUP": " Labs"}
_SKILLS = [
    ["python", "fastapi", "postgresql"],
    ["react", "typescript", "css"],
    ["kubernetes", "terraform", "aws"],
    ["python", "spark", "airflow"],
    ["seo", "sem", "analytics"],
    ["kotlin", "swift", "firebase"],
]
_CITIES = ["Madrid", "Barcelona", "Valencia", "Bogotá", "Lima", "Lisboa"]


def new_id(rnd: random.Random) -> str:
    return str(uuid.UUID(int=rnd.getrandbits(128), version=4))


_EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _now(rnd: random.Random) -> datetime:
    """A moment in 2026 drawn from ``rnd``: the same seed gives the same event, byte for byte,
    so replaying a seed is a replay (duplicates), never a different event with the same key."""
    return _EPOCH + timedelta(seconds=rnd.randint(0, 300 * 86400))


def _day(rnd: random.Random, after_days: int = 0) -> date:
    return (_now(rnd) + timedelta(days=after_days)).date()


def _money(rnd: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rnd.randint(low * 100, high * 100)) / 100


def partner_registration(rnd: random.Random, **kw: Any) -> PartnerRegistrationCompleted:
    ptype = kw.pop("partner_type", rnd.choice(["INDIVIDUAL", "EMPRESA", "STARTUP"]))
    name = rnd.choice(_NAMES) + _SUFFIX[ptype]
    slug = name.lower().replace(" ", "").replace(".", "")
    fields: dict[str, Any] = {
        "partner_id": new_id(rnd),
        "business_name": name,
        "email": f"contact@{slug}.example",
        "partner_type": ptype,
        "registration_data": {
            "country": rnd.choice(["ES", "CO", "PE", "PT"]),
            "employees": rnd.randint(1, 250),
        },
        "validation_status": "COMPLETE",
        "preferred_contract_type": rnd.choice(["STANDARD", "PREMIUM", "ENTERPRISE"]),
        "registration_source": rnd.choice(["WEB", "API", "REFERRAL"]),
        "registration_timestamp": _now(rnd),
    }
    return PartnerRegistrationCompleted.model_validate({**fields, **kw})


def partner_validation(rnd: random.Random, **kw: Any) -> PartnerValidationCompleted:
    fields = {
        "validation_id": new_id(rnd),
        "partner_id": new_id(rnd),
        "outcome": "APPROVED",
        "checks_passed": ["identity", "tax_id", "bank_account"],
        "risk_score": Decimal(rnd.randint(1, 30)),
        "validated_at": _now(rnd),
    }
    return PartnerValidationCompleted.model_validate({**fields, **kw})


def recruitment_request(rnd: random.Random, **kw: Any) -> RecruitmentRequested:
    skills = rnd.choice(_SKILLS)
    fields = {
        "request_id": new_id(rnd),
        "partner_id": new_id(rnd),
        "job_requirements": {"title": f"{skills[0].title()} engineer", "headcount": 1},
        "required_skills": skills,
        "experience_level": rnd.choice(["MID", "SENIOR"]),
        "job_type": "FULL_TIME",
        "remote_work_allowed": rnd.random() < 0.7,
        "location_preferences": rnd.sample(_CITIES, 2),
        "salary_range": {"min": 40000, "max": 65000, "currency": "EUR"},
        "budget_range": {"max": 8000, "currency": "EUR"},
        "hiring_timeline": {"target_days": 45},
        "urgency_level": "NORMAL",
        "candidate_sources": ["INTERNAL", "REFERRALS"],
    }
    return RecruitmentRequested.model_validate({**fields, **kw})


def metrics_snapshot(rnd: random.Random, **kw: Any) -> PartnerMetricsSnapshot:
    fields = {
        "snapshot_id": new_id(rnd),
        "partner_id": new_id(rnd),
        "status": "VALIDATED",
        "successful_hires": 1,
        "total_recruitment_cost": Decimal("4200.00"),
        "average_time_to_hire": Decimal(30),
        "candidate_matches": 3,
        "campaign_reports": 0,
        "budget_alerts": 0,
        "critical_alerts": 0,
        "trigger_event_type": "com.hexabuilders.recruitment.CandidateHired",
        "taken_at": _now(rnd),
    }
    return PartnerMetricsSnapshot.model_validate({**fields, **kw})


def contract_signed(rnd: random.Random, **kw: Any) -> ContractSigned:
    fields = {
        "contract_id": new_id(rnd),
        "partner_id": new_id(rnd),
        "contract_type": "STANDARD",
        "signed_at": _now(rnd),
        "signatory_name": "Ana García",
        "signatory_email": "ana.garcia@partner.example",
    }
    return ContractSigned.model_validate({**fields, **kw})


def contract_activated(rnd: random.Random, **kw: Any) -> ContractActivated:
    today = _day(rnd)
    fields = {
        "contract_id": new_id(rnd),
        "partner_id": new_id(rnd),
        "contract_type": "STANDARD",
        "effective_date": today,
        "expiration_date": today + timedelta(days=365),
        "campaign_permissions": ["create_campaign", "manage_budget"],
        "budget_limits": {"monthly": Decimal(10000), "per_campaign": Decimal(2500)},
        "feature_flags": {"analytics": True, "ai_optimizer": False},
        "sla_terms": {"response_hours": 24},
        "commission_structure": {"percent": 12.5},
        "payment_terms": {"days": 30, "method": "TRANSFER"},
    }
    return ContractActivated.model_validate({**fields, **kw})


def employment_contract(rnd: random.Random, **kw: Any) -> EmploymentContractCreated:
    fields = {
        "employment_contract_id": new_id(rnd),
        "hiring_id": new_id(rnd),
        "partner_id": new_id(rnd),
        "candidate_id": new_id(rnd),
        "job_id": new_id(rnd),
        "job_title": "Backend engineer",
        "employment_type": "PERMANENT",
        "start_date": _day(rnd, 30),
        "salary": Decimal(52000),
        "currency": "EUR",
        "created_at": _now(rnd),
    }
    return EmploymentContractCreated.model_validate({**fields, **kw})


def candidate_matched(rnd: random.Random, **kw: Any) -> CandidateMatched:
    fields = {
        "match_id": new_id(rnd),
        "request_id": new_id(rnd),
        "job_id": new_id(rnd),
        "partner_id": new_id(rnd),
        "candidate_id": new_id(rnd),
        "candidate_name": "Lucía Pérez",
        "match_score": Decimal("87.50"),
        "rank": 1,
        "matched_skills": ["python"],
        "experience_level": "SENIOR",
        "location": "Madrid",
        "remote": True,
        "matched_at": _now(rnd),
    }
    return CandidateMatched.model_validate({**fields, **kw})


def candidate_hired(rnd: random.Random, **kw: Any) -> CandidateHired:
    fields = {
        "hiring_id": new_id(rnd),
        "partner_id": new_id(rnd),
        "candidate_id": new_id(rnd),
        "job_id": new_id(rnd),
        "employment_details": {"hours_per_week": 40, "probation_months": 3},
        "job_title": "Backend engineer",
        "department": "Engineering",
        "start_date": _day(rnd, 30),
        "employment_type": "PERMANENT",
        "agreed_salary": _money(rnd, 38000, 70000),
        "currency": "EUR",
        "benefits_package": {"health": True},
        "hiring_process_metrics": {"interviews": 3},
        "time_to_hire": rnd.randint(15, 60),
        "recruitment_cost": _money(rnd, 1500, 6000),
    }
    return CandidateHired.model_validate({**fields, **kw})


def recruitment_completed(rnd: random.Random, **kw: Any) -> RecruitmentCompleted:
    fields = {
        "request_id": new_id(rnd),
        "job_id": new_id(rnd),
        "partner_id": new_id(rnd),
        "outcome": "FILLED",
        "positions_filled": 1,
        "candidates_matched": 3,
        "time_to_fill_days": 30,
        "total_cost": Decimal(4200),
        "completed_at": _now(rnd),
    }
    return RecruitmentCompleted.model_validate({**fields, **kw})


def performance_report(rnd: random.Random, **kw: Any) -> CampaignPerformanceReport:
    spend = _money(rnd, 1000, 9000)
    roi = (Decimal(rnd.randint(80, 320)) / 100).quantize(Decimal("0.01"))
    fields = {
        "report_id": new_id(rnd),
        "campaign_id": new_id(rnd),
        "partner_id": new_id(rnd),
        "reporting_period": {"start": "2025-01-01", "end": "2025-01-31"},
        "performance_summary": {"impressions": rnd.randint(10_000, 500_000)},
        "roi_metrics": {
            "roi": roi,
            "spend": spend,
            "revenue": (spend * roi).quantize(Decimal("0.01")),
        },
        "performance_insights": ["Mobile converts better than desktop"],
        "risk_indicators": [] if roi > 1 else ["negative_roi"],
    }
    return CampaignPerformanceReport.model_validate({**fields, **kw})


def budget_alert(rnd: random.Random, **kw: Any) -> BudgetAlert:
    alert_type = kw.pop("alert_type", rnd.choice(["WARNING", "CRITICAL", "EXHAUSTED"]))
    limit = Decimal(5000)
    threshold = {"WARNING": Decimal(75), "CRITICAL": Decimal(90), "EXHAUSTED": Decimal(100)}
    spend = (limit * threshold[alert_type] / 100).quantize(Decimal("0.01"))
    fields = {
        "alert_id": new_id(rnd),
        "campaign_id": new_id(rnd),
        "partner_id": new_id(rnd),
        "alert_type": alert_type,
        "threshold_reached": threshold[alert_type],
        "current_spend": spend,
        "budget_limit": limit,
        "projected_spend": spend + Decimal(800),
        "days_remaining": rnd.randint(0, 12),
        "burn_rate": Decimal("180.50"),
        "recommended_actions": ["reduce_daily_cap"],
    }
    return BudgetAlert.model_validate({**fields, **kw})


def campaign_insights(rnd: random.Random, **kw: Any) -> CampaignInsightsGenerated:
    fields = {
        "insight_id": new_id(rnd),
        "campaign_id": new_id(rnd),
        "partner_id": new_id(rnd),
        "insights": [
            {"category": "audience", "title": "25-34 segment outperforms", "impact": "HIGH"}
        ],
        "generated_at": _now(rnd),
    }
    return CampaignInsightsGenerated.model_validate({**fields, **kw})


def optimization_suggested(rnd: random.Random, **kw: Any) -> OptimizationSuggested:
    fields = {
        "suggestion_id": new_id(rnd),
        "campaign_id": new_id(rnd),
        "partner_id": new_id(rnd),
        "suggestions": [
            {
                "action": "shift_budget",
                "rationale": "Search beats display",
                "expected_impact_pct": Decimal(12),
            }
        ],
        "generated_at": _now(rnd),
    }
    return OptimizationSuggested.model_validate({**fields, **kw})


BUILDERS: dict[str, Callable[..., EventData]] = {
    "PartnerRegistrationCompleted": partner_registration,
    "PartnerValidationCompleted": partner_validation,
    "RecruitmentRequested": recruitment_request,
    "PartnerMetricsSnapshot": metrics_snapshot,
    "ContractSigned": contract_signed,
    "ContractActivated": contract_activated,
    "EmploymentContractCreated": employment_contract,
    "CandidateMatched": candidate_matched,
    "CandidateHired": candidate_hired,
    "RecruitmentCompleted": recruitment_completed,
    "CampaignPerformanceReport": performance_report,
    "BudgetAlert": budget_alert,
    "CampaignInsightsGenerated": campaign_insights,
    "OptimizationSuggested": optimization_suggested,
}


def sample(name: str, seed: int | random.Random = 0, **overrides: Any) -> EventData:
    """A valid example of event ``name`` (short name); same seed, same ids."""
    rnd = seed if isinstance(seed, random.Random) else random.Random(seed)
    return BUILDERS[name](rnd, **overrides)
