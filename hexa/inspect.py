"""What each bounded context holds right now, read straight from its tables.

Every context only ever learns about the others through events, so when a flow looks wrong the
first question is "what did each side end up with?".  Each view answers it for one context as
a document of named sections (lists of rows), the same document the CLI renders as tables or
prints as JSON, so a script and a person see the same facts.

Values are made JSON-safe in one place (``jsonable``): ``Decimal`` becomes a string (money and
scores must not lose digits on the way to a script), times become ISO 8601 in UTC.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from shared.db import Database, Row, Tx

Document = dict[str, list[Row]]

# Every table that can hold a partner, so "unknown partner" means unknown to all contexts.
_PARTNER_TABLES = (
    "partner.partners",
    "partner.metrics",
    "partner.contracts",
    "onboarding.contracts",
    "recruitment.jobs",
    "campaign.partner_permissions",
)
# ``%(partner)s IS NULL OR ...``: one statement serves both the whole platform and one partner.
_ONE_OR_ALL = "(%(partner)s::text IS NULL OR {column} = %(partner)s)"
# Undefined (NULL) without hires rather than a misleading 0 days.
_AVERAGE_TIME_TO_HIRE = (
    "CASE WHEN m.successful_hires > 0"
    " THEN round(m.total_time_to_hire::numeric / m.successful_hires, 2) END"
)


class InspectError(ValueError):
    """Bad input to a view: a one-line message plus the reason code the CLI reports."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def jsonable(value: Any) -> Any:
    """``value`` with every ``Decimal``, ``datetime`` and ``date`` in a stable JSON form."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def dumps(document: Any) -> str:
    """The JSON every ``--json`` prints: sorted keys, so a script can diff two runs."""
    return json.dumps(jsonable(document), indent=2, sort_keys=True, ensure_ascii=False)


def check_partner_id(value: str) -> str:
    """The canonical form of a partner id; partner ids are UUIDs in every event of the spec."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise InspectError("invalid_partner_id", f"{value!r} is not a UUID") from None


def _partner_known(tx: Tx, partner_id: str) -> bool:
    probes = " OR ".join(
        f"EXISTS (SELECT 1 FROM {table} WHERE partner_id = %(partner)s)"
        for table in _PARTNER_TABLES
    )
    return bool(tx.scalar(f"SELECT {probes}", {"partner": partner_id}))


def _partners(tx: Tx, partner_id: str | None) -> Document:
    """Partner Management's view of each partner: its status and running metrics together."""
    return {
        "partners": tx.all(
            "SELECT COALESCE(p.partner_id, m.partner_id) AS partner_id, p.status,"
            " p.contract_id, p.contract_type, p.signed_at, p.activated_at,"
            " COALESCE(m.successful_hires, 0) AS hires,"
            " COALESCE(m.total_recruitment_cost, 0) AS recruitment_cost,"
            f" {_AVERAGE_TIME_TO_HIRE} AS average_time_to_hire,"
            " COALESCE(m.candidate_matches, 0) AS matches,"
            " COALESCE(m.campaign_reports, 0) AS campaign_reports, m.latest_roi,"
            " COALESCE(m.budget_alerts, 0) AS budget_alerts,"
            " COALESCE(m.critical_alerts, 0) AS critical_alerts,"
            " GREATEST(p.updated_at, m.updated_at) AS updated_at"
            " FROM partner.partners p FULL JOIN partner.metrics m USING (partner_id)"
            f" WHERE {_ONE_OR_ALL.format(column='COALESCE(p.partner_id, m.partner_id)')}"
            " ORDER BY 1",
            {"partner": partner_id},
        )
    }


def _contracts(tx: Tx, partner_id: str | None) -> Document:
    """Onboarding's drafts next to Partner Management's activations.

    A full join: an activation whose draft this database never saw (or a draft never
    activated) is exactly the kind of mismatch someone inspecting wants to see.
    """
    return {
        "contracts": tx.all(
            "SELECT COALESCE(c.contract_id, a.contract_id) AS contract_id,"
            " COALESCE(c.partner_id, a.partner_id) AS partner_id,"
            " COALESCE(c.contract_type, a.contract_type) AS contract_type, c.status,"
            " c.business_name, c.contact_email, c.template_id, t.name AS template_name,"
            " t.commission_pct, t.payment_days, t.duration_months, c.created_at,"
            " a.contract_id IS NOT NULL AS activated, a.activated_at, a.effective_date,"
            " a.expiration_date"
            " FROM onboarding.contracts c"
            " LEFT JOIN onboarding.contract_templates t ON t.template_id = c.template_id"
            " FULL JOIN partner.contracts a ON a.contract_id = c.contract_id"
            f" WHERE {_ONE_OR_ALL.format(column='COALESCE(c.partner_id, a.partner_id)')}"
            " ORDER BY 2, 1",
            {"partner": partner_id},
        )
    }


def _jobs(tx: Tx, partner_id: str | None) -> Document:
    """Recruitment's jobs, each with its ranked matches (the candidates' names included)."""
    params = {"partner": partner_id}
    jobs = tx.all(
        "SELECT job_id, request_id, partner_id, title, status, experience_level, job_type,"
        " urgency, remote_allowed, required_skills, locations, created_at"
        f" FROM recruitment.jobs WHERE {_ONE_OR_ALL.format(column='partner_id')}"
        " ORDER BY partner_id, created_at, job_id",
        params,
    )
    matches: dict[str, list[Row]] = {job["job_id"]: [] for job in jobs}
    for match in tx.all(
        "SELECT m.job_id, m.candidate_id, c.full_name AS candidate_name, m.score, m.rank"
        " FROM recruitment.matches m JOIN recruitment.jobs j USING (job_id)"
        " JOIN recruitment.candidates c USING (candidate_id)"
        f" WHERE {_ONE_OR_ALL.format(column='j.partner_id')}"
        " ORDER BY m.job_id, m.rank, m.candidate_id",
        params,
    ):
        job_id = match.pop("job_id")
        matches[job_id].append(match)
    return {"jobs": [{**job, "matches": matches[job["job_id"]]} for job in jobs]}


def _campaign_permissions(tx: Tx, partner_id: str | None) -> Document:
    """Campaign Management's two switches per partner and what they allow."""
    return {
        "campaign_permissions": tx.all(
            "SELECT partner_id, campaign_creation_enabled, campaigns_enabled, contract_id,"
            " contract_type, permissions, budget_limits, validation_id, validation_outcome,"
            " updated_at FROM campaign.partner_permissions"
            f" WHERE {_ONE_OR_ALL.format(column='partner_id')} ORDER BY partner_id",
            {"partner": partner_id},
        )
    }


def _metrics(tx: Tx, partner_id: str | None) -> Document:
    """Partner metrics plus what the ledger says each function did.

    The ledger has no partner column, so the per-function counts are always platform-wide,
    even for one partner.
    """
    partner_metrics = tx.all(
        "SELECT m.partner_id, m.successful_hires, m.total_recruitment_cost,"
        f" m.total_time_to_hire, {_AVERAGE_TIME_TO_HIRE} AS average_time_to_hire,"
        " m.candidate_matches, m.campaign_reports, m.latest_roi, m.budget_alerts,"
        " m.critical_alerts, m.updated_at FROM partner.metrics m"
        f" WHERE {_ONE_OR_ALL.format(column='m.partner_id')} ORDER BY m.partner_id",
        {"partner": partner_id},
    )
    functions = tx.all(
        "WITH consumers AS (SELECT consumer FROM eventing.inbox"
        "  UNION SELECT consumer FROM eventing.failures"
        "  UNION SELECT consumer FROM eventing.dead_letters),"
        " inbox AS (SELECT consumer, count(*) AS processed,"
        "  sum(duplicates) AS duplicates FROM eventing.inbox GROUP BY consumer),"
        " failures AS (SELECT consumer, count(*) AS failed_messages,"
        "  sum(attempts) AS failed_attempts FROM eventing.failures GROUP BY consumer),"
        " reasons AS (SELECT consumer, reason, count(*) AS n"
        "  FROM eventing.dead_letters GROUP BY consumer, reason),"
        " dead AS (SELECT consumer, sum(n) AS dead_letters,"
        "  jsonb_object_agg(reason, n) AS dead_letters_by_reason FROM reasons GROUP BY consumer)"
        " SELECT c.consumer, COALESCE(i.processed, 0)::int AS processed,"
        " COALESCE(i.duplicates, 0)::int AS duplicates,"
        " COALESCE(f.failed_messages, 0)::int AS failed_messages,"
        " COALESCE(f.failed_attempts, 0)::int AS failed_attempts,"
        " COALESCE(d.dead_letters, 0)::int AS dead_letters,"
        " COALESCE(d.dead_letters_by_reason, '{}'::jsonb) AS dead_letters_by_reason"
        " FROM consumers c LEFT JOIN inbox i USING (consumer)"
        " LEFT JOIN failures f USING (consumer) LEFT JOIN dead d USING (consumer)"
        " ORDER BY c.consumer"
    )
    return {"partner_metrics": partner_metrics, "functions": functions}


@dataclass(frozen=True)
class View:
    name: str
    summary: str
    read: Callable[[Tx, str | None], Document]


VIEWS: tuple[View, ...] = (
    View("partners", "Partner status, contract and running metrics.", _partners),
    View("contracts", "Onboarding contract drafts (with template) and activations.", _contracts),
    View("jobs", "Recruitment jobs with their ranked candidate matches.", _jobs),
    View(
        "campaign-permissions",
        "What each partner may do in Campaign Management.",
        _campaign_permissions,
    ),
    View("metrics", "Partner metrics and per-function ledger counts.", _metrics),
)


def inspect(database_url: str, view: View, partner_id: str | None = None) -> Document:
    """Read ``view`` for every partner, or for one (which must be known to some context)."""
    partner = check_partner_id(partner_id) if partner_id is not None else None
    db = Database(database_url, application_name="hexa-inspect")
    try:
        with db.transaction() as tx:
            if partner is not None and not _partner_known(tx, partner):
                raise InspectError("unknown_partner", f"no context knows partner {partner}")
            return view.read(tx, partner)
    finally:
        db.close()
