"""A hired candidate gets an employment contract draft, announced to the other contexts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from psycopg2.extras import Json

from functions.ids import derived_id
from shared.db import Tx
from shared.envelope import CloudEvent
from shared.events import CandidateHired, EmploymentContractCreated, EventData
from shared.handler import Handler


class OnCandidateHired(Handler[CandidateHired]):
    consumes = CandidateHired

    def handle(self, event: CloudEvent, data: CandidateHired, tx: Tx) -> Sequence[EventData]:
        contract = EmploymentContractCreated(
            employment_contract_id=derived_id("employment-contract", data.hiring_id),
            hiring_id=data.hiring_id,
            partner_id=data.partner_id,
            candidate_id=data.candidate_id,
            job_id=data.job_id,
            job_title=data.job_title,
            employment_type=data.employment_type,
            start_date=data.start_date,
            salary=data.agreed_salary,
            currency=data.currency,
            benefits_package=data.benefits_package,
            terms=data.employment_details,
            created_at=datetime.now(UTC),
        )
        tx.execute(
            "INSERT INTO onboarding.employment_contracts (employment_contract_id, hiring_id,"
            " partner_id, candidate_id, job_id, job_title, employment_type, start_date, salary,"
            " currency, terms, status) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                contract.employment_contract_id,
                contract.hiring_id,
                contract.partner_id,
                contract.candidate_id,
                contract.job_id,
                contract.job_title,
                contract.employment_type,
                contract.start_date,
                contract.salary,
                contract.currency,
                Json(contract.terms),
                contract.status,
            ),
        )
        return [contract]
