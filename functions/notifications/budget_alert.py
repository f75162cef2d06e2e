"""CRITICAL and EXHAUSTED budget alerts are pushed to people through an SNS topic, once each.

The row in ``notifications.sent`` is written in the same transaction as the inbox claim, and
the SNS call happens inside it: if SNS fails, nothing commits and the alert is retried; if the
commit fails after SNS accepted the message, a retry sends it again (an external side effect
cannot be rolled back, so this one is at-least-once by nature, and only in that window).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from shared.db import Tx
from shared.envelope import CloudEvent
from shared.errors import Reason, TransientError
from shared.events import BudgetAlert, EventData
from shared.events.common import AlertType
from shared.handler import Handler

NOTIFY = frozenset({AlertType.CRITICAL, AlertType.EXHAUSTED})


class OnBudgetAlert(Handler[BudgetAlert]):
    consumes = BudgetAlert

    def __init__(self) -> None:
        super().__init__()
        self._sns: Any = None

    def handle(self, event: CloudEvent, data: BudgetAlert, tx: Tx) -> Sequence[EventData]:
        if data.alert_type not in NOTIFY:
            return []
        message_id = self._send(data, event)
        tx.execute(
            "INSERT INTO notifications.sent (alert_id, partner_id, alert_type, channel,"
            " provider_id) VALUES (%s, %s, %s, 'sns', %s)",
            (data.alert_id, data.partner_id, data.alert_type, message_id),
        )
        return []

    def _client(self) -> Any:
        if self._sns is None:
            self._sns = boto3.client(
                "sns",
                region_name=str(self.config.get("aws_region", "eu-west-1")),
                endpoint_url=self.config.get("sns_endpoint_url") or None,
            )
        return self._sns

    def _send(self, data: BudgetAlert, event: CloudEvent) -> str:
        topic_arn = self.config.get("sns_topic_arn")
        if not topic_arn:
            raise TransientError(Reason.MISSING_REFERENCE, "user config sns_topic_arn is not set")
        spent = f"{data.current_spend} of {data.budget_limit}"
        body = {
            "alert_id": data.alert_id,
            "partner_id": data.partner_id,
            "campaign_id": data.campaign_id,
            "alert_type": data.alert_type.value,
            "threshold_reached": str(data.threshold_reached),
            "summary": f"Campaign budget {data.alert_type.value}: {spent} spent",
            "correlationid": event.correlationid,
        }
        try:
            response = self._client().publish(
                TopicArn=str(topic_arn),
                Subject=f"Budget {data.alert_type.value.lower()} for campaign {data.campaign_id}",
                Message=json.dumps(body),
                MessageAttributes={
                    "alert_type": {"DataType": "String", "StringValue": data.alert_type.value}
                },
            )
        except (BotoCoreError, ClientError) as exc:
            raise TransientError(Reason.DEPENDENCY_UNAVAILABLE, f"sns: {exc}") from exc
        return str(response["MessageId"])
