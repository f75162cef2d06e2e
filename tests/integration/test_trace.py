"""``hexa trace`` on the whole platform: the tree rebuilt from the ledger has exactly the hops and
causation ids of the events the functions really published, and its JSON is stable."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from hexa.cli.trace import trace
from hexa.devenv import DevEnvironment
from hexa.publisher import Publisher
from hexa.pulsar_client import new_client
from hexa.samples import sample
from hexa.trace import DUPLICATE, PROCESSED
from shared.envelope import CloudEvent
from shared.events import REGISTRY
from tests.conditions import wait_for
from tests.integration.cli import assert_bad_input, invoke, run_json
from tests.integration.flows import Collector
from tests.integration.helpers import query

pytestmark = pytest.mark.integration

FAN_OUT = "CORR-TRACE-FAN-OUT"
TWO_ROOTS = "CORR-TRACE-TWO-ROOTS"
MATCHED = REGISTRY.get("CandidateMatched").topic
SNAPSHOTS = REGISTRY.get("PartnerMetricsSnapshot").topic


@pytest.fixture(scope="module")
def published(env: DevEnvironment) -> Iterator[Collector]:
    """What the functions published (from before the flows start)."""
    collector = Collector(env.stack.pulsar_url, [MATCHED, SNAPSHOTS], "trace")
    yield collector
    collector.close()


def publish(env: DevEnvironment, *events: CloudEvent) -> None:
    client = new_client(env.stack.pulsar_url)
    publisher = Publisher(client)
    for event in events:
        publisher.publish(event)
    publisher.close()
    client.close()


def ledger(env: DevEnvironment, correlation_id: str) -> list[tuple[Any, ...]]:
    return query(
        env.stack.database_url,
        "SELECT consumer, jsonb_array_length(outputs), duplicates FROM eventing.inbox"
        " WHERE correlation_id = %s ORDER BY consumer",
        (correlation_id,),
    )


@pytest.fixture(scope="module")
def fan_out(env: DevEnvironment, published: Collector) -> CloudEvent:
    """A recruitment request delivered twice: matches, then a snapshot per match, all deduped."""
    request = REGISTRY.new(
        sample(
            "RecruitmentRequested",
            401,
            required_skills=["python", "postgresql"],
            experience_level="SENIOR",
            remote_work_allowed=True,
        ),
        correlationid=FAN_OUT,
    )
    publish(env, request, request)

    def settled() -> bool:
        rows = ledger(env, FAN_OUT)
        matches = [r for r in rows if r[0] == "partner-candidate-matched"]
        return bool(
            rows
            and rows[-1][0] == "recruitment-recruitment-requested"
            and len(matches) == rows[-1][1] > 0
            and all(r[2] == 1 for r in rows)  # the second delivery reached every hop
        )

    wait_for(settled, timeout=30, what="the flow and its duplicate to settle")
    return request


def edges(node: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for consumption in node["consumptions"]:
        for child in consumption["produced"]:
            yield node["event_id"], child["event_id"]
            yield from edges(child)


def test_the_tree_has_the_real_hops_and_causation_ids(
    env: DevEnvironment, fan_out: CloudEvent, published: Collector
) -> None:
    [root] = run_json(env, trace, FAN_OUT)["roots"]
    tree = set(edges(root))

    def real() -> set[tuple[str | None, str]]:
        return {
            (e.causationid, e.id) for e in published.events(lambda e: e.correlationid == FAN_OUT)
        }

    wait_for(lambda: tree <= real(), what="the published events the tree names")
    assert root["event_id"] == fan_out.id and root["causation_id"] is None
    assert tree == real()
    assert len(tree) == 2 * len(root["consumptions"][0]["produced"])  # a match, a snapshot each


def test_each_hop_names_its_consumer_and_that_the_duplicate_was_deduped(
    env: DevEnvironment, fan_out: CloudEvent
) -> None:
    [root] = run_json(env, trace, FAN_OUT)["roots"]
    [request] = root["consumptions"]

    assert request["consumer"] == "recruitment-recruitment-requested"
    assert request["outcomes"] == [PROCESSED, DUPLICATE] and request["duplicates"] == 1
    for match in request["produced"]:
        assert match["event_type"] == REGISTRY.get("CandidateMatched").type
        assert match["causation_id"] == fan_out.id
        [consumption] = match["consumptions"]
        assert consumption["consumer"] == "partner-candidate-matched"
        assert consumption["outcomes"] == [PROCESSED, DUPLICATE]
        [snapshot] = consumption["produced"]
        assert snapshot["causation_id"] == match["event_id"]
        assert snapshot["topic"] == SNAPSHOTS and snapshot["consumptions"] == []


def test_the_json_is_stable_and_sorted(env: DevEnvironment, fan_out: CloudEvent) -> None:
    first = invoke(env, trace, FAN_OUT, "--json")
    second = invoke(env, trace, FAN_OUT, "--json")

    assert first.exit_code == 0, first.output
    assert first.stdout == second.stdout
    document = json.loads(first.stdout)
    assert first.stdout == json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    summary = document["summary"]
    assert summary["consumptions"] == summary[PROCESSED] == summary[DUPLICATE]
    assert summary["events"] == 1 + 2 * (summary["consumptions"] - 1)


def test_the_text_tree_shows_every_event_under_its_consumer(
    env: DevEnvironment, fan_out: CloudEvent
) -> None:
    document = run_json(env, trace, FAN_OUT)
    result = invoke(env, trace, FAN_OUT)
    text = result.stdout

    assert result.exit_code == 0
    assert f"flow {FAN_OUT}" in text
    [request] = document["roots"][0]["consumptions"]
    assert text.index(fan_out.id) < text.index("recruitment-recruitment-requested: processed")
    assert "duplicate (1 deduped)" in text
    for match in request["produced"]:
        snapshot = match["consumptions"][0]["produced"][0]
        assert text.index(match["event_id"]) < text.index(snapshot["event_id"])
        assert text.count(match["event_id"]) == 1  # each event is placed once


def test_a_flow_with_two_roots_lists_them_first_seen_first_with_every_consumer(
    env: DevEnvironment,
) -> None:
    signed = sample("ContractSigned", 402)
    activated = sample(
        "ContractActivated",
        403,
        partner_id=signed.partner_id,  # type: ignore[attr-defined]
        contract_id=signed.contract_id,  # type: ignore[attr-defined]
    )
    first = REGISTRY.new(signed, correlationid=TWO_ROOTS)
    publish(env, first)
    wait_for(lambda: ledger(env, TWO_ROOTS), what="the signature consumed")
    second = REGISTRY.new(activated, correlationid=TWO_ROOTS)
    publish(env, second)
    wait_for(lambda: len(ledger(env, TWO_ROOTS)) == 3, what="the activation consumed twice")

    roots = run_json(env, trace, TWO_ROOTS)["roots"]

    assert [r["event_id"] for r in roots] == [first.id, second.id]
    assert [c["consumer"] for c in roots[0]["consumptions"]] == ["partner-contract-signed"]
    assert [c["consumer"] for c in roots[1]["consumptions"]] == [
        "campaign-contract-activated",
        "partner-contract-activated",
    ]
    assert all(c["produced"] == [] for r in roots for c in r["consumptions"])


def test_an_unknown_correlation_id_is_one_line_and_exit_2(env: DevEnvironment) -> None:
    assert_bad_input(
        invoke(env, trace, "CORR-NOBODY-KNOWS"), "unknown_correlation_id", "CORR-NOBODY-KNOWS"
    )
