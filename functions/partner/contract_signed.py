"""A signed contract moves the partner to CONTRACT_SIGNED."""

from __future__ import annotations

from collections.abc import Sequence

from functions.partner.status import advance_status
from shared.db import Tx
from shared.envelope import CloudEvent
from shared.events import ContractSigned, EventData
from shared.events.common import PartnerStatus
from shared.handler import Handler


class OnContractSigned(Handler[ContractSigned]):
    consumes = ContractSigned

    def handle(self, event: CloudEvent, data: ContractSigned, tx: Tx) -> Sequence[EventData]:
        advance_status(
            tx,
            data.partner_id,
            PartnerStatus.CONTRACT_SIGNED,
            data.contract_id,
            data.contract_type,
            signed_at=data.signed_at,
        )
        return []
