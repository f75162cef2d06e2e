"""Partner status and its contract follow the most advanced event, whatever the arrival order."""

from __future__ import annotations

import pytest

from functions.partner.contract_activated import OnContractActivated
from functions.partner.contract_signed import OnContractSigned
from hexa.samples import sample
from tests.fakes import envelope, wire
from tests.integration.helpers import pg_context, query

pytestmark = pytest.mark.integration
PARTNER = "3f1c2a54-8d0e-4b7a-9c61-2a5b7d9e0f11"


def test_a_late_contract_signed_changes_neither_status_nor_contract(database_url: str) -> None:
    activated = sample("ContractActivated", 1, partner_id=PARTNER, contract_type="PREMIUM")
    signed = sample("ContractSigned", 2, partner_id=PARTNER, contract_type="STANDARD")
    OnContractActivated().process(
        wire(envelope(activated)), pg_context(activated, database_url, name="activated")
    )
    OnContractSigned().process(
        wire(envelope(signed)), pg_context(signed, database_url, name="signed")
    )
    [(status, contract_id, contract_type, signed_at)] = query(
        database_url, "SELECT status, contract_id, contract_type, signed_at FROM partner.partners"
    )
    assert status == "VALIDATED"
    assert (contract_id, contract_type) == (activated.contract_id, "PREMIUM")  # type: ignore[attr-defined]
    assert signed_at is not None  # the signature itself is still recorded


def test_in_order_events_move_the_status_forward(database_url: str) -> None:
    signed = sample("ContractSigned", 3, partner_id=PARTNER)
    activated = sample("ContractActivated", 4, partner_id=PARTNER, contract_id=signed.contract_id)  # type: ignore[attr-defined]
    OnContractSigned().process(
        wire(envelope(signed)), pg_context(signed, database_url, name="signed")
    )
    assert query(database_url, "SELECT status FROM partner.partners") == [("CONTRACT_SIGNED",)]
    OnContractActivated().process(
        wire(envelope(activated)), pg_context(activated, database_url, name="activated")
    )
    assert query(database_url, "SELECT status FROM partner.partners") == [("VALIDATED",)]
