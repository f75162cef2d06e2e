"""Types shared by every event model: the base class, money, ids and the spec's enums."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PlainSerializer


def _decimal_to_number(value: Decimal) -> int | float:
    # The spec's wire format has money as JSON numbers.  Fifteen significant digits (the
    # constraint on Money) survive a float exactly, so no cent is ever lost on the way.
    return int(value) if value == value.to_integral_value() else float(value)


Money = Annotated[
    Decimal,
    Field(max_digits=15, allow_inf_nan=False),
    PlainSerializer(_decimal_to_number, return_type=int | float, when_used="json"),
]
"""An amount of money: exact ``Decimal`` in Python, a JSON number on the wire."""

Ratio = Money
"""Percentages, scores and rates: exact like money, so metrics add up the same everywhere."""

Id = Annotated[str, Field(pattern=r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")]
"""A UUID as a string: kept as text so ids compare and serialise exactly as the producer sent."""

Timestamp = AwareDatetime
Day = date
JsonObject = dict[str, Any]
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


class EventData(BaseModel):
    """Base of every event's ``data``.

    Unknown fields are ignored (tolerant reader): a producer on a newer minor version may add an
    optional field without breaking consumers still on the previous one.
    """

    model_config = ConfigDict(extra="ignore", frozen=True, use_attribute_docstrings=True)


class PartnerType(StrEnum):
    INDIVIDUAL = "INDIVIDUAL"
    EMPRESA = "EMPRESA"
    STARTUP = "STARTUP"


class ValidationStatus(StrEnum):
    PENDING = "PENDING"
    PARTIAL = "PARTIAL"
    COMPLETE = "COMPLETE"


class ContractType(StrEnum):
    STANDARD = "STANDARD"
    PREMIUM = "PREMIUM"
    ENTERPRISE = "ENTERPRISE"


class RegistrationSource(StrEnum):
    WEB = "WEB"
    API = "API"
    REFERRAL = "REFERRAL"


class ExperienceLevel(StrEnum):
    JUNIOR = "JUNIOR"
    MID = "MID"
    SENIOR = "SENIOR"
    EXPERT = "EXPERT"


class JobType(StrEnum):
    FULL_TIME = "FULL_TIME"
    PART_TIME = "PART_TIME"
    CONTRACT = "CONTRACT"


class UrgencyLevel(StrEnum):
    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"
    URGENT = "URGENT"


class CandidateSource(StrEnum):
    INTERNAL = "INTERNAL"
    EXTERNAL = "EXTERNAL"
    REFERRALS = "REFERRALS"


class EmploymentType(StrEnum):
    PERMANENT = "PERMANENT"
    CONTRACT = "CONTRACT"
    INTERNSHIP = "INTERNSHIP"


class AlertType(StrEnum):
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"
    EXHAUSTED = "EXHAUSTED"


class PartnerStatus(StrEnum):
    """Lifecycle of a partner as Partner Management sees it; it only ever moves forward."""

    REGISTERED = "REGISTERED"
    CONTRACT_SIGNED = "CONTRACT_SIGNED"
    VALIDATED = "VALIDATED"
