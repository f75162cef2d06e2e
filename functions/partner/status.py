"""Partner status moves only forward, whatever order the contract events arrive in.

ContractSigned and ContractActivated travel on different topics, so a partner's activation can
be processed before its signature; the later, lower status must not win.
"""

from __future__ import annotations

from datetime import datetime

from shared.db import Tx
from shared.events.common import ContractType, PartnerStatus

_RANK_SQL = (
    "CASE {col} WHEN 'REGISTERED' THEN 0 WHEN 'CONTRACT_SIGNED' THEN 1"
    " WHEN 'VALIDATED' THEN 2 ELSE -1 END"
)


def advance_status(
    tx: Tx,
    partner_id: str,
    status: PartnerStatus,
    contract_id: str,
    contract_type: ContractType,
    *,
    signed_at: datetime | None = None,
    activated_at: datetime | None = None,
) -> None:
    current = _RANK_SQL.format(col="partner.partners.status")
    new = _RANK_SQL.format(col="EXCLUDED.status")
    tx.execute(
        "INSERT INTO partner.partners (partner_id, status, contract_id, contract_type,"
        " signed_at, activated_at) VALUES (%s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (partner_id) DO UPDATE SET"
        f" status = CASE WHEN {new} > {current} THEN EXCLUDED.status"
        " ELSE partner.partners.status END,"
        # The contract follows the most advanced event too: a late ContractSigned must not
        # overwrite what ContractActivated recorded.
        f" contract_id = CASE WHEN {new} >= {current} THEN EXCLUDED.contract_id"
        " ELSE partner.partners.contract_id END,"
        f" contract_type = CASE WHEN {new} >= {current} THEN EXCLUDED.contract_type"
        " ELSE partner.partners.contract_type END,"
        " signed_at = COALESCE(EXCLUDED.signed_at, partner.partners.signed_at),"
        " activated_at = COALESCE(EXCLUDED.activated_at, partner.partners.activated_at),"
        " updated_at = now()",
        (partner_id, status, contract_id, contract_type, signed_at, activated_at),
    )
