"""``hexa inspect`` on the whole platform: one partner's story through every context, read back
view by view, as tables and as stable JSON; bad input is one line and exit code 2.

The CLI helpers at the top are shared with the trace and dlq tests.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from functions.onboarding.partner_registration_completed import contract_id_for
from functions.recruitment.recruitment_requested import job_id_for
from hexa.cli.inspect import inspect
from hexa.devenv import DevEnvironment
from hexa.publisher import Publisher
from hexa.pulsar_client import new_client
from hexa.samples import sample
from shared.events import REGISTRY, EventData
from tests.conditions import wait_for
from tests.integration.cli import assert_bad_input, invoke, run_json
from tests.integration.helpers import query, scalar

pytestmark = pytest.mark.integration

VIEWS = ("partners", "contracts", "jobs", "campaign-permissions", "metrics")


# -- one partner through every context -----------------------------------------------------------

REGISTRATION = sample(
    "PartnerRegistrationCompleted", 301, partner_type="EMPRESA", preferred_contract_type="PREMIUM"
)
PARTNER = REGISTRATION.partner_id  # type: ignore[attr-defined]
CONTRACT = contract_id_for(PARTNER)
SIGNED = sample(
    "ContractSigned", 302, partner_id=PARTNER, contract_id=CONTRACT, contract_type="PREMIUM"
)
ACTIVATED = sample(
    "ContractActivated", 303, partner_id=PARTNER, contract_id=CONTRACT, contract_type="PREMIUM"
)
REQUEST = sample(
    "RecruitmentRequested",
    304,
    partner_id=PARTNER,
    required_skills=["python", "postgresql"],
    experience_level="SENIOR",
    remote_work_allowed=True,
)
JOB = job_id_for(REQUEST.request_id)  # type: ignore[attr-defined]
HIRED = sample("CandidateHired", 305, partner_id=PARTNER, job_id=JOB)
CAMPAIGN_TOPIC = REGISTRY.get("ContractActivated").topic


@pytest.fixture(scope="module")
def env(env: DevEnvironment) -> DevEnvironment:
    """The shared platform, with one partner's whole story (and a poison message) settled."""
    publish(env, REGISTRATION, REGISTRATION, SIGNED, ACTIVATED, REQUEST, HIRED)
    client = new_client(env.stack.pulsar_url)
    publisher = Publisher(client)
    publisher.send_raw(CAMPAIGN_TOPIC, b"{not json")  # dead-lettered by two functions
    publisher.close()
    client.close()
    settled(env)
    return env


def publish(env: DevEnvironment, *items: EventData) -> None:
    """Each event once, except that the same event twice is a redelivery (one id)."""
    client = new_client(env.stack.pulsar_url)
    publisher = Publisher(client)
    events = {id(data): REGISTRY.new(data) for data in items}
    for data in items:
        publisher.publish(events[id(data)])
    publisher.close()
    client.close()


def settled(env: DevEnvironment) -> None:
    url = env.stack.database_url
    matches = "SELECT count(*) FROM recruitment.matches WHERE job_id = %s"
    checks = {
        "partner validated": lambda: (
            scalar(url, "SELECT status FROM partner.partners WHERE partner_id = %s", (PARTNER,))
            == "VALIDATED"
        ),
        "hire and matches counted": lambda: (
            query(
                url,
                "SELECT successful_hires, candidate_matches FROM partner.metrics"
                " WHERE partner_id = %s",
                (PARTNER,),
            )
            == [(1, scalar(url, matches, (JOB,)))]
        ),
        "campaigns enabled": lambda: (
            scalar(
                url,
                "SELECT count(*) FROM campaign.partner_permissions WHERE partner_id = %s",
                (PARTNER,),
            )
            == 1
        ),
        "duplicate registration seen": lambda: (
            scalar(
                url,
                "SELECT sum(duplicates) FROM eventing.inbox WHERE consumer = %s",
                ("onboarding-partner-registration",),
            )
            == 1
        ),
        "poison dead-lettered twice": lambda: (
            scalar(url, "SELECT count(*) FROM eventing.dead_letters") == 2
        ),
    }
    for what, check in checks.items():
        wait_for(check, timeout=30, what=what)


# -- the views ------------------------------------------------------------------------------------


def test_partners_joins_status_contract_and_metrics(env: DevEnvironment) -> None:
    [row] = run_json(env, inspect, "partners", "--partner-id", PARTNER)["partners"]
    matches = scalar(env.stack.database_url, "SELECT count(*) FROM recruitment.matches")

    assert row["partner_id"] == PARTNER and row["status"] == "VALIDATED"
    assert row["contract_id"] == CONTRACT and row["contract_type"] == "PREMIUM"
    assert row["hires"] == 1 and row["matches"] == matches > 0
    assert Decimal(row["recruitment_cost"]) == HIRED.recruitment_cost  # type: ignore[attr-defined]
    assert row["average_time_to_hire"] == f"{HIRED.time_to_hire}.00"  # type: ignore[attr-defined]
    assert row["latest_roi"] is None and row["critical_alerts"] == 0


def test_contracts_show_the_draft_its_template_and_the_activation(env: DevEnvironment) -> None:
    [row] = run_json(env, inspect, "contracts", "--partner-id", PARTNER)["contracts"]

    assert row["contract_id"] == CONTRACT and row["status"] == "DRAFT"
    assert row["template_id"] == "TPL-PRE-EMP"
    assert row["template_name"] == "Premium company agreement"
    assert row["commission_pct"] == "10.00"
    assert row["activated"] is True
    assert row["effective_date"] == ACTIVATED.effective_date.isoformat()  # type: ignore[attr-defined]


def test_jobs_list_their_matches_by_rank_with_candidate_names(env: DevEnvironment) -> None:
    [job] = run_json(env, inspect, "jobs", "--partner-id", PARTNER)["jobs"]
    expected = query(
        env.stack.database_url,
        "SELECT c.full_name, m.score::text, m.rank FROM recruitment.matches m"
        " JOIN recruitment.candidates c USING (candidate_id) WHERE m.job_id = %s ORDER BY m.rank",
        (JOB,),
    )

    assert job["job_id"] == JOB and job["request_id"] == REQUEST.request_id  # type: ignore[attr-defined]
    assert [(m["candidate_name"], m["score"], m["rank"]) for m in job["matches"]] == [
        tuple(row) for row in expected
    ]
    assert [m["rank"] for m in job["matches"]] == list(range(1, len(expected) + 1))


def test_campaign_permissions_come_from_the_activation(env: DevEnvironment) -> None:
    [row] = run_json(env, inspect, "campaign-permissions", "--partner-id", PARTNER)[
        "campaign_permissions"
    ]

    assert row["campaign_creation_enabled"] is True
    assert row["permissions"] == ACTIVATED.campaign_permissions  # type: ignore[attr-defined]
    assert row["contract_id"] == CONTRACT


def test_metrics_add_what_the_ledger_says_each_function_did(env: DevEnvironment) -> None:
    document = run_json(env, inspect, "metrics")
    functions = {row["consumer"]: row for row in document["functions"]}

    [partner] = [r for r in document["partner_metrics"] if r["partner_id"] == PARTNER]
    assert partner["successful_hires"] == 1
    registration = functions["onboarding-partner-registration"]
    assert (registration["processed"], registration["duplicates"]) == (1, 1)
    for consumer in ("campaign-contract-activated", "partner-contract-activated"):
        assert functions[consumer]["processed"] == 1
        assert functions[consumer]["dead_letters"] == 1
        assert functions[consumer]["dead_letters_by_reason"] == {"malformed_json": 1}
    assert functions["partner-candidate-hired"]["dead_letters_by_reason"] == {}
    assert list(functions) == sorted(functions)


def test_without_a_partner_every_partner_is_listed(env: DevEnvironment) -> None:
    rows = run_json(env, inspect, "partners")["partners"]

    assert PARTNER in [r["partner_id"] for r in rows]
    assert [r["partner_id"] for r in rows] == sorted(r["partner_id"] for r in rows)


@pytest.mark.parametrize("view", VIEWS)
def test_json_is_sorted_and_stable(env: DevEnvironment, view: str) -> None:
    first = invoke(env, inspect, view, "--json")
    second = invoke(env, inspect, view, "--json")

    assert first.exit_code == 0, first.output
    assert first.stdout == second.stdout
    document = json.loads(first.stdout)
    assert first.stdout == json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_tables_show_the_same_facts(env: DevEnvironment) -> None:
    partners = invoke(env, inspect, "partners", "--partner-id", PARTNER)
    jobs = invoke(env, inspect, "jobs", "--partner-id", PARTNER)
    [top] = query(
        env.stack.database_url,
        "SELECT c.full_name FROM recruitment.matches m JOIN recruitment.candidates c"
        " USING (candidate_id) WHERE m.job_id = %s AND m.rank = 1",
        (JOB,),
    )

    assert partners.exit_code == 0 and jobs.exit_code == 0
    assert PARTNER in partners.stdout and "VALIDATED" in partners.stdout
    assert f"1. {top[0]}" in jobs.stdout


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize(
    ("partner_id", "reason"),
    [
        ("not-a-uuid", "invalid_partner_id"),
        ("00000000-0000-4000-8000-000000000000", "unknown_partner"),
    ],
)
def test_a_bad_or_unknown_partner_is_one_line_and_exit_2(
    env: DevEnvironment, view: str, partner_id: str, reason: str
) -> None:
    assert_bad_input(invoke(env, inspect, view, "--partner-id", partner_id), reason, partner_id)
