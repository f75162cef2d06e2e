"""An active contract enables campaign creation with its permissions and budget limits."""

from __future__ import annotations

from collections.abc import Sequence

from psycopg2.extras import Json

from shared.db import Tx
from shared.envelope import CloudEvent
from shared.events import ContractActivated, EventData
from shared.handler import Handler


class OnContractActivated(Handler[ContractActivated]):
    consumes = ContractActivated

    def handle(self, event: CloudEvent, data: ContractActivated, tx: Tx) -> Sequence[EventData]:
        limits = {scope: str(amount) for scope, amount in data.budget_limits.items()}
        tx.execute(
            "INSERT INTO campaign.partner_permissions (partner_id, contract_id, contract_type,"
            " campaign_creation_enabled, permissions, budget_limits)"
            " VALUES (%s, %s, %s, true, %s, %s)"
            " ON CONFLICT (partner_id) DO UPDATE SET contract_id = EXCLUDED.contract_id,"
            " contract_type = EXCLUDED.contract_type, campaign_creation_enabled = true,"
            " permissions = EXCLUDED.permissions, budget_limits = EXCLUDED.budget_limits,"
            " updated_at = now()",
            (
                data.partner_id,
                data.contract_id,
                data.contract_type,
                Json(data.campaign_permissions),
                Json(limits),
            ),
        )
        return []
