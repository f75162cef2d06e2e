"""Events produced by Campaign Management (topics under ``campaign-management/``)."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from shared.events.common import AlertType, EventData, Id, JsonObject, Money, Ratio, Timestamp


class CampaignPerformanceReport(EventData):
    """Periodic performance report of one campaign."""

    report_id: Id
    """UUID of the report; the idempotency key."""
    campaign_id: Id
    partner_id: Id
    reporting_period: JsonObject = Field(default_factory=dict)
    """E.g. ``{"start": "2025-01-01", "end": "2025-01-31"}``."""
    performance_summary: JsonObject = Field(default_factory=dict)
    kpi_achievements: JsonObject = Field(default_factory=dict)
    roi_metrics: dict[str, Ratio] = Field(default_factory=dict)
    """Numbers only; Partner Management keeps ``roi``, ``spend`` and ``revenue``."""
    engagement_metrics: JsonObject = Field(default_factory=dict)
    period_comparison: JsonObject = Field(default_factory=dict)
    benchmark_comparison: JsonObject = Field(default_factory=dict)
    trend_analysis: JsonObject = Field(default_factory=dict)
    performance_insights: list[str] = Field(default_factory=list)
    optimization_suggestions: list[str] = Field(default_factory=list)
    risk_indicators: list[str] = Field(default_factory=list)


class BudgetAlert(EventData):
    """A campaign reached a budget threshold."""

    alert_id: Id
    """UUID of the alert; the idempotency key."""
    campaign_id: Id
    partner_id: Id
    budget_status: JsonObject = Field(default_factory=dict)
    alert_type: AlertType
    threshold_reached: Ratio = Field(ge=0)
    """Percentage of the budget the alert fired at."""
    current_spend: Money = Field(ge=0)
    budget_limit: Money = Field(ge=0)
    projected_spend: Money = Field(ge=0)
    days_remaining: int = Field(ge=0)
    burn_rate: Money = Field(ge=0)
    """Spend per day."""
    recommended_actions: list[str] = Field(default_factory=list)
    automatic_actions_taken: list[str] = Field(default_factory=list)


class Impact(StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


class Insight(BaseModel):
    """One automated finding about a campaign."""

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True)

    category: str
    """E.g. ``audience``, ``creative``, ``channel``."""
    title: str
    detail: str = ""
    impact: Impact = Impact.MEDIUM


class CampaignInsightsGenerated(EventData):
    """Campaign Management derived insights from a campaign's recent performance.

    Named by the spec (``campaign-management/campaign-insights``).
    """

    insight_id: Id
    """UUID of this batch of insights; the idempotency key."""
    campaign_id: Id
    partner_id: Id
    source_report_id: Id | None = None
    insights: list[Insight] = Field(min_length=1)
    generated_at: Timestamp


class Suggestion(BaseModel):
    """One proposed change to a campaign."""

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True)

    action: str
    """E.g. ``shift_budget``, ``pause_ad_group``."""
    rationale: str = ""
    expected_impact_pct: Ratio = Decimal(0)
    priority: Impact = Impact.MEDIUM


class OptimizationSuggested(EventData):
    """Campaign Management proposes optimisations for a campaign.

    Named by the spec (``campaign-management/optimization-suggestions``).
    """

    suggestion_id: Id
    """UUID of this batch of suggestions; the idempotency key."""
    campaign_id: Id
    partner_id: Id
    suggestions: list[Suggestion] = Field(min_length=1)
    estimated_savings: Money = Field(default=Decimal(0), ge=0)
    generated_at: Timestamp
