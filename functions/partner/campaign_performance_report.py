"""A campaign report updates the partner's campaign metrics (report count, latest ROI)."""

from __future__ import annotations

from collections.abc import Sequence

from psycopg2.extras import Json

from functions.partner.metrics import update_metrics
from shared.db import Tx
from shared.envelope import CloudEvent
from shared.events import CampaignPerformanceReport, EventData
from shared.handler import Handler


class OnCampaignPerformanceReport(Handler[CampaignPerformanceReport]):
    consumes = CampaignPerformanceReport

    def handle(
        self, event: CloudEvent, data: CampaignPerformanceReport, tx: Tx
    ) -> Sequence[EventData]:
        roi = data.roi_metrics.get("roi")
        tx.execute(
            "INSERT INTO partner.campaign_reports (report_id, partner_id, campaign_id, period,"
            " roi, spend, revenue, risk_indicators) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (
                data.report_id,
                data.partner_id,
                data.campaign_id,
                Json(data.reporting_period),
                roi,
                data.roi_metrics.get("spend"),
                data.roi_metrics.get("revenue"),
                Json(data.risk_indicators),
            ),
        )
        return [update_metrics(tx, event, data.partner_id, {"campaign_reports": 1}, roi)]
