"""How well a candidate fits a job: skills first, then seniority, then where they can work.

Kept apart from the handler so the scoring can be tested and tuned without a database.
Weights: skills 60, experience 25, location 15 (a perfect candidate scores 100).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from shared.events.common import ExperienceLevel

_LEVELS = list(ExperienceLevel)
MIN_SCORE = Decimal(40)


@dataclass(frozen=True, slots=True)
class Candidate:
    candidate_id: str
    full_name: str
    skills: tuple[str, ...]
    experience_level: ExperienceLevel
    location: str
    open_to_remote: bool


@dataclass(frozen=True, slots=True)
class Job:
    required_skills: tuple[str, ...]
    experience_level: ExperienceLevel
    remote_allowed: bool
    locations: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Match:
    candidate: Candidate
    score: Decimal
    matched_skills: tuple[str, ...]
    missing_skills: tuple[str, ...]


def score(job: Job, candidate: Candidate) -> Match:
    required = {s.lower() for s in job.required_skills}
    have = {s.lower() for s in candidate.skills}
    matched = tuple(sorted(required & have))
    missing = tuple(sorted(required - have))
    skills = Decimal(60) * len(matched) / len(required) if required else Decimal(0)
    gap = _LEVELS.index(candidate.experience_level) - _LEVELS.index(job.experience_level)
    experience = {0: Decimal(25), 1: Decimal(18), -1: Decimal(10)}.get(gap, Decimal(0))
    wanted = {loc.lower() for loc in job.locations}
    if candidate.location.lower() in wanted:
        location = Decimal(15)
    elif job.remote_allowed and candidate.open_to_remote:
        location = Decimal(12)
    elif not wanted:
        location = Decimal(8)
    else:
        location = Decimal(0)
    total = (skills + experience + location).quantize(Decimal("0.01"))
    return Match(candidate, total, matched, missing)


def best_matches(job: Job, pool: Sequence[Candidate], limit: int) -> list[Match]:
    """The ``limit`` best candidates that share at least one skill and reach ``MIN_SCORE``."""
    scored = [score(job, c) for c in pool]
    eligible = [m for m in scored if m.matched_skills and m.score >= MIN_SCORE]
    eligible.sort(key=lambda m: (-m.score, m.candidate.candidate_id))
    return eligible[:limit]
