"""Matches found by Recruitment are recorded for the partner and counted in its metrics."""

from __future__ import annotations

from collections.abc import Sequence

from functions.partner.metrics import update_metrics
from shared.db import Tx
from shared.envelope import CloudEvent
from shared.events import CandidateMatched, EventData
from shared.handler import Handler


class OnCandidateMatched(Handler[CandidateMatched]):
    consumes = CandidateMatched

    def handle(self, event: CloudEvent, data: CandidateMatched, tx: Tx) -> Sequence[EventData]:
        tx.execute(
            "INSERT INTO partner.candidate_matches (match_id, partner_id, request_id, job_id,"
            " candidate_id, candidate_name, score, rank) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (
                data.match_id,
                data.partner_id,
                data.request_id,
                data.job_id,
                data.candidate_id,
                data.candidate_name,
                data.match_score,
                data.rank,
            ),
        )
        return [update_metrics(tx, event, data.partner_id, {"candidate_matches": 1})]
