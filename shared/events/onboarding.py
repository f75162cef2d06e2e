"""Events produced by Onboarding (topics under ``onboarding/``)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from shared.events.common import (
    ContractType,
    Currency,
    Day,
    Email,
    EmploymentType,
    EventData,
    Id,
    JsonObject,
    Money,
    Timestamp,
)


class SignatureMethod(StrEnum):
    ELECTRONIC = "ELECTRONIC"
    WET_INK = "WET_INK"


class ContractSigned(EventData):
    """The partner signed its contract; it is not active until ``ContractActivated``.

    Named by the spec's communication matrix (Onboarding -> Partner Management).
    """

    contract_id: Id
    """UUID of the contract; the idempotency key."""
    partner_id: Id
    contract_type: ContractType
    signed_at: Timestamp
    signatory_name: str = Field(min_length=1)
    signatory_email: Email
    signature_method: SignatureMethod = SignatureMethod.ELECTRONIC
    document_hash: str | None = None
    """SHA-256 of the signed document, when Onboarding archived one."""


class ContractActivated(EventData):
    """A signed contract became active, enabling features in the other contexts."""

    contract_id: Id
    """UUID of the contract; the idempotency key."""
    partner_id: Id
    contract_type: ContractType
    effective_date: Day
    expiration_date: Day
    campaign_permissions: list[str] = Field(default_factory=list)
    """Campaign permissions granted, e.g. ``create_campaign``, ``use_premium_channels``."""
    budget_limits: dict[str, Money] = Field(default_factory=dict)
    """Budget limits by scope, e.g. ``{"monthly": 10000, "per_campaign": 2500}``."""
    feature_flags: dict[str, bool] = Field(default_factory=dict)
    sla_terms: JsonObject = Field(default_factory=dict)
    commission_structure: JsonObject = Field(default_factory=dict)
    payment_terms: JsonObject = Field(default_factory=dict)


class EmploymentContractStatus(StrEnum):
    DRAFT = "DRAFT"
    SENT = "SENT"
    SIGNED = "SIGNED"


class EmploymentContractCreated(EventData):
    """Onboarding drafted the employment contract of a hired candidate.

    The spec's "contrato laboral" step after ``CandidateHired``; one contract per hiring.
    """

    employment_contract_id: Id
    hiring_id: Id
    """The hiring this contract formalises; the idempotency key."""
    partner_id: Id
    candidate_id: Id
    job_id: Id
    job_title: str
    employment_type: EmploymentType
    start_date: Day
    salary: Money
    currency: Currency
    benefits_package: JsonObject = Field(default_factory=dict)
    terms: JsonObject = Field(default_factory=dict)
    """The ``employment_details`` of the hire, as agreed."""
    status: EmploymentContractStatus = EmploymentContractStatus.DRAFT
    created_at: Timestamp
