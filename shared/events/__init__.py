"""The typed event catalogue: one module per producing context, plus the registry."""

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
from shared.events.registry import REGISTRY, Decoded, EventSpec, Registry

__all__ = [
    "REGISTRY",
    "BudgetAlert",
    "CampaignInsightsGenerated",
    "CampaignPerformanceReport",
    "CandidateHired",
    "CandidateMatched",
    "ContractActivated",
    "ContractSigned",
    "Decoded",
    "EmploymentContractCreated",
    "EventData",
    "EventSpec",
    "OptimizationSuggested",
    "PartnerMetricsSnapshot",
    "PartnerRegistrationCompleted",
    "PartnerValidationCompleted",
    "RecruitmentCompleted",
    "RecruitmentRequested",
    "Registry",
]
