"""A validated partner may run campaigns; a rejected one may not."""

from __future__ import annotations

from collections.abc import Sequence

from shared.db import Tx
from shared.envelope import CloudEvent
from shared.events import EventData, PartnerValidationCompleted
from shared.events.partners import ValidationOutcome
from shared.handler import Handler


class OnPartnerValidationCompleted(Handler[PartnerValidationCompleted]):
    consumes = PartnerValidationCompleted

    def handle(
        self, event: CloudEvent, data: PartnerValidationCompleted, tx: Tx
    ) -> Sequence[EventData]:
        tx.execute(
            "INSERT INTO campaign.partner_permissions (partner_id, campaigns_enabled,"
            " validation_id, validation_outcome) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (partner_id) DO UPDATE SET"
            " campaigns_enabled = EXCLUDED.campaigns_enabled,"
            " validation_id = EXCLUDED.validation_id,"
            " validation_outcome = EXCLUDED.validation_outcome, updated_at = now()",
            (
                data.partner_id,
                data.outcome == ValidationOutcome.APPROVED,
                data.validation_id,
                data.outcome,
            ),
        )
        return []
