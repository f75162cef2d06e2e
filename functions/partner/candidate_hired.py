"""A hire updates the partner's metrics: hires, recruitment cost, average time to hire."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from functions.partner.metrics import update_metrics
from shared.db import Tx
from shared.envelope import CloudEvent
from shared.events import CandidateHired, EventData
from shared.handler import Handler


class OnCandidateHired(Handler[CandidateHired]):
    consumes = CandidateHired

    def handle(self, event: CloudEvent, data: CandidateHired, tx: Tx) -> Sequence[EventData]:
        tx.execute(
            "INSERT INTO partner.hires (hiring_id, partner_id, candidate_id, job_id, job_title,"
            " recruitment_cost, time_to_hire) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (
                data.hiring_id,
                data.partner_id,
                data.candidate_id,
                data.job_id,
                data.job_title,
                data.recruitment_cost,
                data.time_to_hire,
            ),
        )
        increments: dict[str, int | Decimal] = {
            "successful_hires": 1,
            "total_recruitment_cost": data.recruitment_cost,
            "total_time_to_hire": data.time_to_hire,
        }
        return [update_metrics(tx, event, data.partner_id, increments)]
