"""A registered partner gets a contract draft from the template for its type and preference."""

from __future__ import annotations

from collections.abc import Sequence

from psycopg2.extras import Json

from functions.ids import derived_id
from shared.db import Tx
from shared.envelope import CloudEvent
from shared.errors import Reason, TransientError
from shared.events import EventData, PartnerRegistrationCompleted
from shared.handler import Handler


def contract_id_for(partner_id: str) -> str:
    """One contract per partner, so its id follows from the partner's."""
    return derived_id("contract", partner_id)


class OnPartnerRegistrationCompleted(Handler[PartnerRegistrationCompleted]):
    consumes = PartnerRegistrationCompleted

    def handle(
        self, event: CloudEvent, data: PartnerRegistrationCompleted, tx: Tx
    ) -> Sequence[EventData]:
        template = tx.one(
            "SELECT template_id FROM onboarding.contract_templates"
            " WHERE contract_type = %s AND partner_type = %s",
            (data.preferred_contract_type, data.partner_type),
        )
        if template is None:
            # Reference data, not the event, is missing: retry, and once it is fixed a
            # replay from the dead-letter topic goes through.
            raise TransientError(
                Reason.MISSING_REFERENCE,
                f"no contract template for {data.preferred_contract_type}/{data.partner_type}",
            )
        tx.execute(
            "INSERT INTO onboarding.contracts (contract_id, partner_id, contract_type,"
            " template_id, status, business_name, contact_email, initial_data)"
            " VALUES (%s, %s, %s, %s, 'DRAFT', %s, %s, %s)",
            (
                contract_id_for(data.partner_id),
                data.partner_id,
                data.preferred_contract_type,
                template["template_id"],
                data.business_name,
                data.email,
                Json(data.registration_data),
            ),
        )
        return []
