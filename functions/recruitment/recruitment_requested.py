"""A recruitment request becomes a job, matched at once against the candidate pool."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from psycopg2.extras import Json

from functions.ids import derived_id
from functions.recruitment.matching import Candidate, Job, best_matches
from shared.db import Tx
from shared.envelope import CloudEvent
from shared.events import CandidateMatched, EventData, RecruitmentRequested
from shared.events.common import ExperienceLevel
from shared.handler import Handler

DEFAULT_TOP_MATCHES = 3


def job_id_for(request_id: str) -> str:
    return derived_id("job", request_id)


class OnRecruitmentRequested(Handler[RecruitmentRequested]):
    consumes = RecruitmentRequested

    def handle(self, event: CloudEvent, data: RecruitmentRequested, tx: Tx) -> Sequence[EventData]:
        job_id = job_id_for(data.request_id)
        title = str(data.job_requirements.get("title") or ", ".join(data.required_skills))
        tx.execute(
            "INSERT INTO recruitment.jobs (job_id, request_id, partner_id, title, requirements,"
            " required_skills, experience_level, job_type, remote_allowed, locations,"
            " salary_range, urgency, status)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'MATCHING')",
            (
                job_id,
                data.request_id,
                data.partner_id,
                title,
                Json(data.job_requirements),
                list(data.required_skills),
                data.experience_level,
                data.job_type,
                data.remote_work_allowed,
                list(data.location_preferences),
                Json(data.salary_range),
                data.urgency_level,
            ),
        )
        pool = [
            Candidate(
                candidate_id=row["candidate_id"],
                full_name=row["full_name"],
                skills=tuple(row["skills"]),
                experience_level=ExperienceLevel(row["experience_level"]),
                location=row["location"],
                open_to_remote=row["open_to_remote"],
            )
            for row in tx.all(
                "SELECT candidate_id, full_name, skills, experience_level, location,"
                " open_to_remote FROM recruitment.candidates WHERE available"
            )
        ]
        job = Job(
            required_skills=tuple(data.required_skills),
            experience_level=data.experience_level,
            remote_allowed=data.remote_work_allowed,
            locations=tuple(data.location_preferences),
        )
        limit = int(self.config.get("top_matches", DEFAULT_TOP_MATCHES))
        now = datetime.now(UTC)
        events: list[EventData] = []
        for rank, match in enumerate(best_matches(job, pool, limit), start=1):
            match_id = derived_id("match", job_id, match.candidate.candidate_id)
            tx.execute(
                "INSERT INTO recruitment.matches (match_id, job_id, candidate_id, score, rank)"
                " VALUES (%s, %s, %s, %s, %s)",
                (match_id, job_id, match.candidate.candidate_id, match.score, rank),
            )
            events.append(
                CandidateMatched(
                    match_id=match_id,
                    request_id=data.request_id,
                    job_id=job_id,
                    partner_id=data.partner_id,
                    candidate_id=match.candidate.candidate_id,
                    candidate_name=match.candidate.full_name,
                    match_score=match.score,
                    rank=rank,
                    matched_skills=list(match.matched_skills),
                    missing_skills=list(match.missing_skills),
                    experience_level=match.candidate.experience_level,
                    location=match.candidate.location,
                    remote=match.candidate.open_to_remote,
                    matched_at=now,
                )
            )
        return events
