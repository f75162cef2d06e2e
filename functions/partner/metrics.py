"""The partner's running metrics, and the snapshot event taken after each change."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal

from functions.ids import derived_id
from shared.db import Tx
from shared.envelope import CloudEvent
from shared.events import PartnerMetricsSnapshot
from shared.events.common import PartnerStatus

_COUNTERS = frozenset(
    {
        "successful_hires",
        "total_recruitment_cost",
        "total_time_to_hire",
        "candidate_matches",
        "campaign_reports",
        "budget_alerts",
        "critical_alerts",
    }
)


def update_metrics(
    tx: Tx,
    event: CloudEvent,
    partner_id: str,
    increments: Mapping[str, int | Decimal],
    latest_roi: Decimal | None = None,
) -> PartnerMetricsSnapshot:
    """Add ``increments`` to the partner's counters and return the snapshot after the change."""
    unknown = set(increments) - _COUNTERS
    if unknown:
        raise ValueError(f"not a partner metric: {sorted(unknown)}")
    columns = sorted(increments)
    assignments = ", ".join(f"{c} = partner.metrics.{c} + EXCLUDED.{c}" for c in columns)
    row = tx.one(
        f"INSERT INTO partner.metrics (partner_id, {', '.join(columns)}, latest_roi)"
        f" VALUES (%s, {', '.join(['%s'] * len(columns))}, %s)"
        f" ON CONFLICT (partner_id) DO UPDATE SET {assignments},"
        " latest_roi = COALESCE(EXCLUDED.latest_roi, partner.metrics.latest_roi),"
        " updated_at = now()"
        " RETURNING *, (SELECT status FROM partner.partners p"
        "   WHERE p.partner_id = partner.metrics.partner_id) AS status",
        (partner_id, *(increments[c] for c in columns), latest_roi),
    )
    assert row is not None
    hires = int(row["successful_hires"])
    average = (
        (Decimal(row["total_time_to_hire"]) / hires).quantize(Decimal("0.01"))
        if hires
        else Decimal(0)
    )
    return PartnerMetricsSnapshot(
        snapshot_id=derived_id("metrics-snapshot", event.source, event.id),
        partner_id=partner_id,
        status=PartnerStatus(row["status"]) if row["status"] else None,
        successful_hires=hires,
        total_recruitment_cost=row["total_recruitment_cost"],
        average_time_to_hire=average,
        candidate_matches=row["candidate_matches"],
        campaign_reports=row["campaign_reports"],
        latest_roi=row["latest_roi"],
        budget_alerts=row["budget_alerts"],
        critical_alerts=row["critical_alerts"],
        trigger_event_type=event.type,
        taken_at=datetime.now(UTC),
    )
