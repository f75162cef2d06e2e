"""``hexa simulate``: play the services around the functions, then check the resulting state.

The simulator stands in for the producing services of the spec's matrix: Partner Management
registers and validates partners and asks for recruitment, Onboarding signs and activates the
contract the onboarding function drafted, Recruitment hires the best candidate the matching
function found, Campaign Management reports and alerts.  Each partner's life is one business
flow (one correlation id), ids stay consistent across it, and a share of the events is sent
twice.  Afterwards it compares the state of every context with what it sent.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import psycopg2

from functions.onboarding.partner_registration_completed import contract_id_for
from functions.recruitment.recruitment_requested import job_id_for
from hexa.publisher import Publisher
from hexa.samples import new_id, sample
from shared.events import REGISTRY, EventData
from shared.events.common import AlertType
from shared.events.partners import ValidationOutcome

DUPLICATE_RATIO = 0.05
RECRUITMENT_RATIO = 0.6
REJECTED_RATIO = 0.1


@dataclass
class Partner:
    """What the simulator sent for one partner: the model the end state is checked against."""

    partner_id: str
    correlation_id: str
    partner_type: str
    contract_type: str
    approved: bool
    request_id: str | None = None
    hired: bool = False
    recruitment_cost: Decimal = Decimal(0)
    reports: int = 0
    alerts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Check:
    name: str
    expected: int | Decimal
    actual: int | Decimal

    @property
    def ok(self) -> bool:
        return self.expected == self.actual


@dataclass
class Result:
    partners: list[Partner]
    checks: list[Check]
    sent: int
    duplicates: int
    seconds: float

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


Progress = Callable[[str, int, int], None]
"""(phase, done, total) — called as the simulation advances."""


class Simulation:
    def __init__(
        self,
        publisher: Publisher,
        database_url: str,
        *,
        partners: int,
        rate: float,
        seed: int,
        progress: Progress | None = None,
        settle_timeout_s: float = 120.0,
    ) -> None:
        if partners < 1 or rate <= 0:
            raise ValueError("partners must be >= 1 and rate > 0")
        self._publisher = publisher
        self._db = database_url
        self._count = partners
        self._interval = 1.0 / rate
        self._rnd = random.Random(seed)
        self._progress = progress or (lambda phase, done, total: None)
        self._settle_timeout_s = settle_timeout_s
        self._next_send = time.monotonic()
        self.sent = 0
        self.duplicates = 0

    # -- the story ---------------------------------------------------------------------------

    def run(self) -> Result:
        started = time.monotonic()
        partners = self._register()
        self._wait(
            "contract drafts",
            lambda: (
                self._count_rows(
                    "SELECT count(*) FROM onboarding.contracts WHERE partner_id = ANY(%s)",
                    [p.partner_id for p in partners],
                )
                == len(partners)
            ),
        )
        self._contracts(partners)
        self._recruit(partners)
        requested = [p for p in partners if p.request_id]
        self._wait(
            "candidate matching",
            lambda: (
                self._count_rows(
                    "SELECT count(*) FROM recruitment.jobs WHERE request_id = ANY(%s)",
                    [p.request_id for p in requested],
                )
                == len(requested)
            ),
        )
        self._hire(requested)
        self._campaigns(partners)
        checks = self._settle(partners)
        return Result(partners, checks, self.sent, self.duplicates, time.monotonic() - started)

    def _register(self) -> list[Partner]:
        partners = []
        for i in range(self._count):
            registration = sample("PartnerRegistrationCompleted", self._rnd)
            pid = registration.partner_id  # type: ignore[attr-defined]
            partner = Partner(
                partner_id=pid,
                correlation_id=f"flow-{pid}",
                partner_type=registration.partner_type,  # type: ignore[attr-defined]
                contract_type=registration.preferred_contract_type,  # type: ignore[attr-defined]
                approved=self._rnd.random() >= REJECTED_RATIO,
            )
            outcome = ValidationOutcome.APPROVED if partner.approved else ValidationOutcome.REJECTED
            self._send(registration, partner)
            self._send(
                sample("PartnerValidationCompleted", self._rnd, partner_id=pid, outcome=outcome),
                partner,
            )
            partners.append(partner)
            self._progress("registrations", i + 1, self._count)
        return partners

    def _contracts(self, partners: list[Partner]) -> None:
        for i, p in enumerate(partners):
            contract = {
                "partner_id": p.partner_id,
                "contract_id": contract_id_for(p.partner_id),
                "contract_type": p.contract_type,
            }
            self._send(sample("ContractSigned", self._rnd, **contract), p)
            self._send(sample("ContractActivated", self._rnd, **contract), p)
            self._progress("contracts", i + 1, len(partners))

    def _recruit(self, partners: list[Partner]) -> None:
        for i, p in enumerate(partners):
            if self._rnd.random() < RECRUITMENT_RATIO:
                request = sample("RecruitmentRequested", self._rnd, partner_id=p.partner_id)
                p.request_id = request.request_id  # type: ignore[attr-defined]
                self._send(request, p)
            self._progress("recruitment requests", i + 1, len(partners))

    def _hire(self, requested: list[Partner]) -> None:
        for i, p in enumerate(requested):
            assert p.request_id is not None
            job_id = job_id_for(p.request_id)
            best = self._rows(
                "SELECT candidate_id FROM recruitment.matches WHERE job_id = %s AND rank = 1",
                job_id,
            )
            if best:
                hire = sample(
                    "CandidateHired",
                    self._rnd,
                    partner_id=p.partner_id,
                    job_id=job_id,
                    candidate_id=best[0][0],
                )
                p.hired = True
                p.recruitment_cost = hire.recruitment_cost  # type: ignore[attr-defined]
                self._send(hire, p)
            self._progress("hires", i + 1, len(requested))

    def _campaigns(self, partners: list[Partner]) -> None:
        for i, p in enumerate(partners):
            campaign = new_id(self._rnd)
            for _ in range(self._rnd.randint(1, 2)):
                self._send(
                    sample(
                        "CampaignPerformanceReport",
                        self._rnd,
                        partner_id=p.partner_id,
                        campaign_id=campaign,
                    ),
                    p,
                )
                p.reports += 1
            for _ in range(self._rnd.randint(0, 2)):
                alert = sample(
                    "BudgetAlert", self._rnd, partner_id=p.partner_id, campaign_id=campaign
                )
                p.alerts.append(alert.alert_type)  # type: ignore[attr-defined]
                self._send(alert, p)
            self._progress("campaign reports and alerts", i + 1, len(partners))

    # -- sending -----------------------------------------------------------------------------

    def _send(self, data: EventData, partner: Partner) -> None:
        event = REGISTRY.new(data, correlationid=partner.correlation_id)
        copies = 2 if self._rnd.random() < DUPLICATE_RATIO else 1
        for _ in range(copies):
            self._pace()
            self._publisher.publish(event)
            self.sent += 1
        self.duplicates += copies - 1

    def _pace(self) -> None:
        """Hold the configured rate: each send waits for its slot on the schedule."""
        self._next_send += self._interval
        delay = self._next_send - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        else:
            self._next_send = time.monotonic()  # behind: do not burst to catch up

    # -- checking ----------------------------------------------------------------------------

    def _settle(self, partners: list[Partner]) -> list[Check]:
        """Compare until everything matches or the deadline passes; the last comparison wins."""
        deadline = time.monotonic() + self._settle_timeout_s
        while True:
            checks = self.compare(partners)
            done = sum(c.ok for c in checks)
            self._progress("settling", done, len(checks))
            if done == len(checks) or time.monotonic() > deadline:
                return checks
            time.sleep(0.2)

    def compare(self, partners: list[Partner]) -> list[Check]:
        ids = [p.partner_id for p in partners]
        hired = [p for p in partners if p.hired]
        alerts = [a for p in partners for a in p.alerts]
        critical = sum(a in (AlertType.CRITICAL, AlertType.EXHAUSTED) for a in alerts)
        requests = [p.request_id for p in partners if p.request_id]
        q = self._count_rows
        return [
            Check(
                "contract drafts from the right template",
                len(partners),
                q(
                    "SELECT count(*) FROM onboarding.contracts c"
                    " JOIN unnest(%s::text[], %s::text[]) AS e(partner_id, partner_type)"
                    " USING (partner_id) JOIN onboarding.contract_templates t USING (template_id)"
                    " WHERE t.contract_type = c.contract_type"
                    " AND t.partner_type = e.partner_type",
                    ids,
                    [p.partner_type for p in partners],
                ),
            ),
            Check(
                "partners VALIDATED",
                len(partners),
                q(
                    "SELECT count(*) FROM partner.partners WHERE partner_id = ANY(%s)"
                    " AND status = 'VALIDATED'",
                    ids,
                ),
            ),
            Check(
                "active contracts recorded",
                len(partners),
                q("SELECT count(*) FROM partner.contracts WHERE partner_id = ANY(%s)", ids),
            ),
            Check(
                "campaign creation enabled",
                len(partners),
                q(
                    "SELECT count(*) FROM campaign.partner_permissions WHERE partner_id = ANY(%s)"
                    " AND campaign_creation_enabled",
                    ids,
                ),
            ),
            Check(
                "campaigns enabled (approved partners)",
                sum(p.approved for p in partners),
                q(
                    "SELECT count(*) FROM campaign.partner_permissions WHERE partner_id = ANY(%s)"
                    " AND campaigns_enabled",
                    ids,
                ),
            ),
            Check(
                "jobs created",
                len(requests),
                q("SELECT count(*) FROM recruitment.jobs WHERE request_id = ANY(%s)", requests),
            ),
            Check(
                "matches seen by Partner Management",
                q(
                    "SELECT count(*) FROM recruitment.matches m JOIN recruitment.jobs j"
                    " USING (job_id) WHERE j.request_id = ANY(%s)",
                    requests,
                ),
                q(
                    "SELECT count(*) FROM partner.candidate_matches WHERE request_id = ANY(%s)",
                    requests,
                ),
            ),
            Check(
                "hires in partner metrics",
                len(hired),
                q(
                    "SELECT COALESCE(sum(successful_hires), 0) FROM partner.metrics"
                    " WHERE partner_id = ANY(%s)",
                    ids,
                ),
            ),
            Check(
                "recruitment cost in partner metrics",
                sum((p.recruitment_cost for p in hired), Decimal(0)),
                self._decimal(
                    "SELECT COALESCE(sum(total_recruitment_cost), 0) FROM partner.metrics"
                    " WHERE partner_id = ANY(%s)",
                    ids,
                ),
            ),
            Check(
                "employment contracts",
                len(hired),
                q(
                    "SELECT count(*) FROM onboarding.employment_contracts"
                    " WHERE partner_id = ANY(%s)",
                    ids,
                ),
            ),
            Check(
                "campaign reports in partner metrics",
                sum(p.reports for p in partners),
                q(
                    "SELECT COALESCE(sum(campaign_reports), 0) FROM partner.metrics"
                    " WHERE partner_id = ANY(%s)",
                    ids,
                ),
            ),
            Check(
                "budget alerts recorded",
                len(alerts),
                q("SELECT count(*) FROM partner.budget_alerts WHERE partner_id = ANY(%s)", ids),
            ),
            Check(
                "critical alerts notified once",
                critical,
                q("SELECT count(*) FROM notifications.sent WHERE partner_id = ANY(%s)", ids),
            ),
            Check(
                "dead letters",
                0,
                q(
                    "SELECT count(*) FROM eventing.dead_letters WHERE correlation_id = ANY(%s)",
                    [p.correlation_id for p in partners],
                ),
            ),
        ]

    # -- database ----------------------------------------------------------------------------

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        conn = psycopg2.connect(self._db, connect_timeout=5)
        try:
            with conn, conn.cursor() as cur:
                yield cur
        finally:
            conn.close()

    def _rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with self._cursor() as cur:
            cur.execute(sql, params)
            return list(cur.fetchall())

    def _count_rows(self, sql: str, *params: Any) -> int:
        return int(self._rows(sql, *params)[0][0])

    def _decimal(self, sql: str, *params: Any) -> Decimal:
        return Decimal(self._rows(sql, *params)[0][0])

    def _wait(self, phase: str, condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + self._settle_timeout_s
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{phase}: the functions did not catch up in time")
            self._progress(f"waiting for {phase}", 0, 1)
            time.sleep(0.1)
        self._progress(f"waiting for {phase}", 1, 1)
