"""Events produced by Partner Management (topics under ``partner-management/``)."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import Field

from shared.events.common import (
    CandidateSource,
    ContractType,
    Email,
    EventData,
    ExperienceLevel,
    Id,
    JobType,
    JsonObject,
    Money,
    PartnerStatus,
    PartnerType,
    Ratio,
    RegistrationSource,
    Timestamp,
    UrgencyLevel,
    ValidationStatus,
)


class PartnerRegistrationCompleted(EventData):
    """A partner finished its initial registration and is ready for contractual onboarding.

    The spec's own example envelope carries only ``partner_id``, ``business_name``, ``email`` and
    ``partner_type``, so every other field is optional with the default a fresh web sign-up has:
    no extra registration data, validation PENDING, a STANDARD contract, source WEB.
    """

    partner_id: Id
    """UUID of the partner; also the idempotency key."""
    business_name: str = Field(min_length=1, max_length=200)
    """Trading name."""
    email: Email
    """Main contact e-mail."""
    partner_type: PartnerType
    registration_data: JsonObject = Field(default_factory=dict)
    """Everything else the registration form collected, passed on to the contract draft."""
    validation_status: ValidationStatus = ValidationStatus.PENDING
    preferred_contract_type: ContractType = ContractType.STANDARD
    registration_source: RegistrationSource = RegistrationSource.WEB
    registration_timestamp: Timestamp | None = None
    """When the partner registered (ISO 8601); unknown for partners migrated from elsewhere."""


class ValidationOutcome(StrEnum):
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class PartnerValidationCompleted(EventData):
    """Partner Management finished checking a partner (identity, tax, compliance).

    Named but not detailed by the spec.  Campaign Management enables campaigns on APPROVED and
    keeps them disabled on REJECTED.
    """

    validation_id: Id
    """UUID of this validation run; the idempotency key (a partner may be re-validated)."""
    partner_id: Id
    outcome: ValidationOutcome
    validation_status: ValidationStatus = ValidationStatus.COMPLETE
    checks_passed: list[str] = Field(default_factory=list)
    """Names of the checks that passed, e.g. ``tax_id``, ``identity``."""
    checks_failed: list[str] = Field(default_factory=list)
    risk_score: Ratio = Field(default=Decimal(0), ge=0, le=100)
    """0 (no risk) to 100."""
    validated_at: Timestamp


class RecruitmentRequested(EventData):
    """A partner asked for recruitment services."""

    request_id: Id
    """UUID of the request; the idempotency key."""
    partner_id: Id
    job_requirements: JsonObject = Field(default_factory=dict)
    """Detailed requirements; ``title`` and ``description`` are used when present."""
    required_skills: list[str] = Field(min_length=1)
    experience_level: ExperienceLevel
    job_type: JobType
    remote_work_allowed: bool = False
    location_preferences: list[str] = Field(default_factory=list)
    salary_range: JsonObject = Field(default_factory=dict)
    """E.g. ``{"min": 40000, "max": 60000, "currency": "EUR"}``."""
    budget_range: JsonObject = Field(default_factory=dict)
    hiring_timeline: JsonObject = Field(default_factory=dict)
    urgency_level: UrgencyLevel = UrgencyLevel.NORMAL
    candidate_sources: list[CandidateSource] = Field(default_factory=list)
    screening_criteria: JsonObject = Field(default_factory=dict)


class PartnerMetricsSnapshot(EventData):
    """The partner's metrics right after one of them changed (a hire, a report, an alert).

    Named by the spec ("partner metrics snapshot"); emitted by Partner Management for analytics.
    The snapshot is the whole picture, not a delta, so a consumer can keep only the latest.
    """

    snapshot_id: Id
    """Deterministic per triggering event; the idempotency key."""
    partner_id: Id
    status: PartnerStatus | None = None
    successful_hires: int = Field(ge=0)
    total_recruitment_cost: Money
    average_time_to_hire: Ratio
    """Days, averaged over every hire."""
    candidate_matches: int = Field(ge=0)
    campaign_reports: int = Field(ge=0)
    latest_roi: Ratio | None = None
    budget_alerts: int = Field(ge=0)
    critical_alerts: int = Field(ge=0)
    """CRITICAL and EXHAUSTED alerts."""
    trigger_event_type: str
    """The CloudEvents type of the event that changed the metrics."""
    taken_at: Timestamp
