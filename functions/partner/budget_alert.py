"""Budget alerts are recorded for the partner and counted (CRITICAL and EXHAUSTED apart)."""

from __future__ import annotations

from collections.abc import Sequence

from functions.partner.metrics import update_metrics
from shared.db import Tx
from shared.envelope import CloudEvent
from shared.events import BudgetAlert, EventData
from shared.events.common import AlertType
from shared.handler import Handler


class OnBudgetAlert(Handler[BudgetAlert]):
    consumes = BudgetAlert

    def handle(self, event: CloudEvent, data: BudgetAlert, tx: Tx) -> Sequence[EventData]:
        tx.execute(
            "INSERT INTO partner.budget_alerts (alert_id, partner_id, campaign_id, alert_type,"
            " threshold_reached, current_spend, budget_limit) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (
                data.alert_id,
                data.partner_id,
                data.campaign_id,
                data.alert_type,
                data.threshold_reached,
                data.current_spend,
                data.budget_limit,
            ),
        )
        critical = int(data.alert_type in (AlertType.CRITICAL, AlertType.EXHAUSTED))
        increments = {"budget_alerts": 1, "critical_alerts": critical}
        return [update_metrics(tx, event, data.partner_id, increments)]
