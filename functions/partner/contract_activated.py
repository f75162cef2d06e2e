"""An active contract makes the partner VALIDATED and is recorded with its terms."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from psycopg2.extras import Json

from functions.partner.status import advance_status
from shared.db import Tx
from shared.envelope import CloudEvent
from shared.events import ContractActivated, EventData
from shared.events.common import PartnerStatus
from shared.handler import Handler


class OnContractActivated(Handler[ContractActivated]):
    consumes = ContractActivated

    def handle(self, event: CloudEvent, data: ContractActivated, tx: Tx) -> Sequence[EventData]:
        advance_status(
            tx,
            data.partner_id,
            PartnerStatus.VALIDATED,
            data.contract_id,
            data.contract_type,
            activated_at=event.time or datetime.now(UTC),
        )
        tx.execute(
            "INSERT INTO partner.contracts (contract_id, partner_id, contract_type,"
            " effective_date, expiration_date, commission_structure, payment_terms,"
            " sla_terms, feature_flags) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                data.contract_id,
                data.partner_id,
                data.contract_type,
                data.effective_date,
                data.expiration_date,
                Json(data.commission_structure),
                Json(data.payment_terms),
                Json(data.sla_terms),
                Json(data.feature_flags),
            ),
        )
        return []
