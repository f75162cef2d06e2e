"""The catalogue: every integration event with its model, topic, idempotency key and version.

One table answers every question a function, the deploy renderer, the CLI and the docs ask
about an event, so they can never disagree.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from shared.envelope import DEFAULT_MAX_BYTES, CloudEvent, derive, new_event, parse
from shared.errors import PermanentError, Reason
from shared.events.campaigns import (
    BudgetAlert,
    CampaignInsightsGenerated,
    CampaignPerformanceReport,
    OptimizationSuggested,
)
from shared.events.common import EventData
from shared.events.onboarding import ContractActivated, ContractSigned, EmploymentContractCreated
from shared.events.partners import (
    PartnerMetricsSnapshot,
    PartnerRegistrationCompleted,
    PartnerValidationCompleted,
    RecruitmentRequested,
)
from shared.events.recruitment import CandidateHired, CandidateMatched, RecruitmentCompleted
from shared.topics import Service, topic

TYPE_PREFIX = "com.hexabuilders"
SCHEMA_PREFIX = "urn:hexabuilders:schema:"
_SCHEMA_URN = re.compile(r"^urn:hexabuilders:schema:(?P<name>[A-Za-z]+):v(?P<version>[0-9]{1,9})$")


class Context(StrEnum):
    """The bounded context in an event's ``type`` and ``source``, as in the spec's example."""

    PARTNERS = "partners"
    ONBOARDING = "onboarding"
    RECRUITMENT = "recruitment"
    CAMPAIGNS = "campaigns"

    @property
    def service(self) -> Service:
        return _SERVICE_OF[self]


_SERVICE_OF = {
    Context.PARTNERS: Service.PARTNER_MANAGEMENT,
    Context.ONBOARDING: Service.ONBOARDING,
    Context.RECRUITMENT: Service.RECRUITMENT,
    Context.CAMPAIGNS: Service.CAMPAIGN_MANAGEMENT,
}


class Criticality(StrEnum):
    """The spec's matrix column; alerting thresholds can key on it."""

    HIGH = "high"
    MEDIUM = "medium"


@dataclass(frozen=True, slots=True)
class EventSpec:
    """Everything known about one event type."""

    name: str
    context: Context
    model: type[EventData]
    category: str
    key_field: str
    aggregate_field: str
    consumers: tuple[str, ...]
    criticality: Criticality
    version: int = 1

    @property
    def type(self) -> str:
        return f"{TYPE_PREFIX}.{self.context}.{self.name}"

    @property
    def topic(self) -> str:
        return topic(self.context.service, self.category)

    @property
    def producer(self) -> str:
        return self.context.service.value

    @property
    def dataschema(self) -> str:
        return f"{SCHEMA_PREFIX}{self.name}:v{self.version}"

    def idempotency_key(self, data: EventData) -> str:
        """Namespaced by event name, so one consumer may safely take several event types."""
        return f"{self.name}/{getattr(data, self.key_field)}"

    def source(self, data: EventData) -> str:
        return f"//{self.context}/{getattr(data, self.aggregate_field)}"

    def parse_data(self, raw: Any) -> EventData:
        """Validate ``data``; the error names the first offending field."""
        if not isinstance(raw, dict):
            raise PermanentError(Reason.INVALID_DATA, f"{self.name}: data must be a JSON object")
        try:
            return self.model.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "data"
            more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
            raise PermanentError(
                Reason.INVALID_DATA, f"{self.name}: field '{where}': {first['msg']}{more}"
            ) from None


def _spec(
    name: str,
    context: Context,
    model: type[EventData],
    category: str,
    key: str,
    aggregate: str,
    consumers: Sequence[Service | str],
    criticality: Criticality,
    version: int = 1,
) -> EventSpec:
    """One catalogue row; bump ``version`` (and commit its schema) on a breaking change."""
    return EventSpec(
        name=name,
        context=context,
        model=model,
        category=category,
        key_field=key,
        aggregate_field=aggregate,
        consumers=tuple(str(c) for c in consumers),
        criticality=criticality,
        version=version,
    )


_PM, _ON, _RE, _CM = (
    Service.PARTNER_MANAGEMENT,
    Service.ONBOARDING,
    Service.RECRUITMENT,
    Service.CAMPAIGN_MANAGEMENT,
)
_HIGH, _MEDIUM = Criticality.HIGH, Criticality.MEDIUM
ANALYTICS = "analytics"

# fmt: off
CATALOGUE: tuple[EventSpec, ...] = (
    _spec("PartnerRegistrationCompleted", Context.PARTNERS, PartnerRegistrationCompleted,
          "partner-registration", "partner_id", "partner_id", [_ON], _HIGH),
    _spec("PartnerValidationCompleted", Context.PARTNERS, PartnerValidationCompleted,
          "partner-validation", "validation_id", "partner_id", [_CM], _MEDIUM),
    _spec("RecruitmentRequested", Context.PARTNERS, RecruitmentRequested,
          "recruitment-requests", "request_id", "partner_id", [_RE], _MEDIUM),
    _spec("PartnerMetricsSnapshot", Context.PARTNERS, PartnerMetricsSnapshot,
          "metrics-snapshots", "snapshot_id", "partner_id", [ANALYTICS], _MEDIUM),
    _spec("ContractSigned", Context.ONBOARDING, ContractSigned,
          "contract-signed", "contract_id", "contract_id", [_PM], _HIGH),
    _spec("ContractActivated", Context.ONBOARDING, ContractActivated,
          "contract-activated", "contract_id", "contract_id", [_CM, _PM], _HIGH),
    _spec("EmploymentContractCreated", Context.ONBOARDING, EmploymentContractCreated,
          "employment-contract", "hiring_id", "employment_contract_id", [], _HIGH),
    _spec("CandidateMatched", Context.RECRUITMENT, CandidateMatched,
          "candidate-matched", "match_id", "job_id", [_PM], _MEDIUM),
    _spec("CandidateHired", Context.RECRUITMENT, CandidateHired,
          "candidate-hired", "hiring_id", "hiring_id", [_PM, _ON], _HIGH),
    _spec("RecruitmentCompleted", Context.RECRUITMENT, RecruitmentCompleted,
          "recruitment-completed", "request_id", "job_id", [], _MEDIUM),
    _spec("CampaignPerformanceReport", Context.CAMPAIGNS, CampaignPerformanceReport,
          "performance-report", "report_id", "campaign_id", [_PM, ANALYTICS], _MEDIUM),
    _spec("BudgetAlert", Context.CAMPAIGNS, BudgetAlert,
          "budget-alerts", "alert_id", "campaign_id", [_PM, Service.NOTIFICATIONS], _HIGH),
    _spec("CampaignInsightsGenerated", Context.CAMPAIGNS, CampaignInsightsGenerated,
          "campaign-insights", "insight_id", "campaign_id", [], _MEDIUM),
    _spec("OptimizationSuggested", Context.CAMPAIGNS, OptimizationSuggested,
          "optimization-suggestions", "suggestion_id", "campaign_id", [], _MEDIUM),
)
# fmt: on


@dataclass(frozen=True, slots=True)
class Decoded:
    """A parsed envelope with its catalogue entry and typed data."""

    event: CloudEvent
    spec: EventSpec
    data: EventData


class Registry:
    """Lookups over the catalogue by CloudEvents type, short name, model class or topic."""

    def __init__(self, specs: Sequence[EventSpec]) -> None:
        self._specs = tuple(specs)
        self._by_type = {s.type: s for s in specs}
        self._by_name = {s.name: s for s in specs}
        self._by_model = {s.model: s for s in specs}
        self._by_topic = {s.topic: s for s in specs}
        if len({len(self._by_type), len(self._by_model), len(self._by_topic), len(specs)}) != 1:
            raise ValueError("catalogue entries must have distinct types, models and topics")

    def __iter__(self) -> Iterator[EventSpec]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def get(self, type_or_name: str) -> EventSpec:
        """By full CloudEvents type or short event name."""
        spec = self._by_type.get(type_or_name) or self._by_name.get(type_or_name)
        if spec is None:
            raise PermanentError(Reason.UNKNOWN_TYPE, f"unknown event type '{type_or_name}'")
        return spec

    def for_model(self, model: type[EventData]) -> EventSpec:
        return self._by_model[model]

    def for_topic(self, topic_name: str) -> EventSpec | None:
        return self._by_topic.get(topic_name)

    def validate(self, event: CloudEvent) -> Decoded:
        """Type known, schema version known, data valid for the model."""
        spec = self.get(event.type)
        if event.dataschema is not None:
            match = _SCHEMA_URN.match(event.dataschema)
            if event.dataschema.startswith(SCHEMA_PREFIX) and (
                match is None or match["name"] != spec.name or int(match["version"]) > spec.version
            ):
                raise PermanentError(
                    Reason.UNKNOWN_TYPE,
                    f"dataschema '{event.dataschema}' is not a known version of {spec.name}",
                )
        return Decoded(event, spec, spec.parse_data(event.data))

    def decode(self, payload: str | bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> Decoded:
        """Parse and validate one message payload."""
        return self.validate(parse(payload, max_bytes))

    def new(self, data: EventData, *, correlationid: str | None = None) -> CloudEvent:
        """A root event for ``data`` (what a producing service publishes)."""
        spec = self.for_model(type(data))
        return new_event(
            spec.type,
            spec.source(data),
            data.model_dump(mode="json"),
            subject=str(getattr(data, spec.aggregate_field)),
            dataschema=spec.dataschema,
            correlationid=correlationid,
        )

    def derive(self, parent: CloudEvent, data: EventData, index: int, consumer: str) -> CloudEvent:
        """The ``index``-th output of ``consumer`` handling ``parent``."""
        spec = self.for_model(type(data))
        return derive(
            parent,
            spec.type,
            data.model_dump(mode="json"),
            index,
            consumer=consumer,
            source=spec.source(data),
            subject=str(getattr(data, spec.aggregate_field)),
            dataschema=spec.dataschema,
        )


REGISTRY = Registry(CATALOGUE)
