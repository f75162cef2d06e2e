"""Events produced by Recruitment (topics under ``recruitment/``)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from shared.events.common import (
    Currency,
    Day,
    EmploymentType,
    EventData,
    ExperienceLevel,
    Id,
    JsonObject,
    Money,
    Ratio,
    Timestamp,
)


class CandidateMatched(EventData):
    """A candidate from the pool matches a partner's job (one event per match).

    Named by the spec's communication matrix (Recruitment -> Partner Management).
    """

    match_id: Id
    """Deterministic per (job, candidate); the idempotency key."""
    request_id: Id
    job_id: Id
    partner_id: Id
    candidate_id: Id
    candidate_name: str
    match_score: Ratio = Field(ge=0, le=100)
    rank: int = Field(ge=1)
    """1 is the best match of the job."""
    matched_skills: list[str] = Field(default_factory=list)
    missing_skills: list[str] = Field(default_factory=list)
    experience_level: ExperienceLevel
    location: str
    remote: bool
    matched_at: Timestamp


class CandidateHired(EventData):
    """A candidate was hired for a partner's job."""

    hiring_id: Id
    """UUID of the hiring process; the idempotency key."""
    partner_id: Id
    candidate_id: Id
    job_id: Id
    employment_details: JsonObject = Field(default_factory=dict)
    job_title: str = Field(min_length=1)
    department: str
    start_date: Day
    employment_type: EmploymentType
    agreed_salary: Money = Field(ge=0)
    currency: Currency
    benefits_package: JsonObject = Field(default_factory=dict)
    hiring_process_metrics: JsonObject = Field(default_factory=dict)
    time_to_hire: int = Field(ge=0)
    """Days from the request to the hire."""
    recruitment_cost: Money = Field(ge=0)


class RecruitmentOutcome(StrEnum):
    FILLED = "FILLED"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"


class RecruitmentCompleted(EventData):
    """A recruitment request was closed, filled or not.

    Named by the spec (``recruitment/recruitment-completed``); no context consumes it yet.
    """

    request_id: Id
    """The request that is closed; the idempotency key."""
    job_id: Id
    partner_id: Id
    outcome: RecruitmentOutcome
    positions_filled: int = Field(ge=0)
    candidates_matched: int = Field(ge=0)
    candidates_interviewed: int = Field(default=0, ge=0)
    time_to_fill_days: int | None = Field(default=None, ge=0)
    total_cost: Money = Field(ge=0)
    currency: Currency = "EUR"
    completed_at: Timestamp
