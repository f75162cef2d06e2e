"""The integration tier's core flows, with the local host on a real Apache Pulsar.

Plus what only real Pulsar does here: per-key order with Key_Shared and two instances, and
``/health/events`` reading consumer lag and dead-letter queue size from the admin API's topic
statistics (pulsar-lite has no admin API; there they come from its metrics endpoint).
"""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pulsar
import pytest

from functions.onboarding.partner_registration_completed import contract_id_for
from hexa.cli.dlq import dlq
from hexa.deployment import FunctionSpec
from hexa.devenv import DevEnvironment
from hexa.publisher import Publisher
from hexa.pulsar_client import new_client
from hexa.runtime.instance import FunctionInstance, RuntimeOptions
from hexa.runtime.metrics import FunctionStats, Metrics
from hexa.samples import sample
from shared.events import REGISTRY
from shared.topics import Service
from tests.conditions import wait_for
from tests.conformance.conftest import RealPulsar
from tests.conftest import scratch_dir
from tests.integration.cli import invoke
from tests.integration.flows import Collector, fast_deployment
from tests.integration.helpers import query, scalar
from tests.integration.runtime_functions import probes

pytestmark = pytest.mark.conformance
NAMESPACES = [*(s.value for s in Service), "test"]
KEYS, PER_KEY = 64, 10


@pytest.fixture(scope="module")
def env(real_pulsar: RealPulsar) -> Iterator[DevEnvironment]:
    if real_pulsar.service_url is None:
        pytest.skip("PULSAR_SERVICE_URL is needed next to PULSAR_ADMIN_URL for these flows")
    admin = real_pulsar.admin()
    if "hexabuilders" not in admin.tenants():
        admin.create_tenant("hexabuilders", admin.clusters())
    existing = set(admin.namespaces("hexabuilders"))
    for namespace in NAMESPACES:
        if f"hexabuilders/{namespace}" not in existing:
            admin.create_namespace("hexabuilders", namespace)
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("PULSAR_SERVICE_URL", real_pulsar.service_url)
    monkeypatch.setenv("PULSAR_ADMIN_URL", real_pulsar.admin_url)
    if real_pulsar.token:
        monkeypatch.setenv("PULSAR_AUTH_TOKEN", real_pulsar.token)
    for name in ("DATABASE_URL", "AWS_ENDPOINT_URL_SNS"):
        monkeypatch.delenv(name, raising=False)
    home = scratch_dir("hexa-conformance-host-")
    try:
        with DevEnvironment(
            home=home, deployment=fast_deployment(), record_state=False
        ) as environment:
            yield environment
    finally:
        monkeypatch.undo()
        shutil.rmtree(home, ignore_errors=True)


def publish(env: DevEnvironment, *events: Any) -> None:
    client = new_client(env.stack.pulsar_url)
    publisher = Publisher(client)
    for event in events:
        publisher.publish(event)
    publisher.close()
    client.close()


def health(env: DevEnvironment) -> tuple[int, dict[str, Any]]:
    assert env.host is not None
    try:
        with urllib.request.urlopen(env.host.health_url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_matrix_rows_with_outputs_correlation_and_causation(env: DevEnvironment) -> None:
    db = env.stack.database_url
    outputs = Collector(
        env.stack.pulsar_url, ["persistent://hexabuilders/recruitment/candidate-matched"], "conf"
    )
    try:
        registration = sample("PartnerRegistrationCompleted", 901)
        request = sample(
            "RecruitmentRequested",
            902,
            required_skills=["python", "postgresql"],
            experience_level="SENIOR",
            remote_work_allowed=True,
        )
        validation = sample("PartnerValidationCompleted", 903)
        request_event = REGISTRY.new(request, correlationid="CORR-CONF-902")
        publish(env, REGISTRY.new(registration), request_event, REGISTRY.new(validation))
        wait_for(
            lambda: (
                scalar(
                    db,
                    "SELECT contract_id FROM onboarding.contracts WHERE partner_id = %s",
                    (registration.partner_id,),
                )  # type: ignore[attr-defined]
                == contract_id_for(registration.partner_id)
            ),
            timeout=60,
        )  # type: ignore[attr-defined]
        matches = outputs.wait(1, lambda e: e.causationid == request_event.id, timeout=60)
        assert {m.correlationid for m in matches} == {"CORR-CONF-902"}
        assert wait_for(
            lambda: scalar(
                db,
                "SELECT campaigns_enabled FROM campaign.partner_permissions WHERE partner_id = %s",
                (validation.partner_id,),
            ),
            timeout=60,
        )  # type: ignore[attr-defined]
    finally:
        outputs.close()


def test_duplicate_has_one_effect(env: DevEnvironment) -> None:
    data = sample("PartnerRegistrationCompleted", 904)
    event = REGISTRY.new(data)
    publish(env, event, event)
    assert wait_for(
        lambda: (
            scalar(
                env.stack.database_url,
                "SELECT duplicates FROM eventing.inbox WHERE event_id = %s",
                (event.id,),
            )
            == 1
        ),
        timeout=60,
    )
    assert (
        scalar(
            env.stack.database_url,
            "SELECT count(*) FROM onboarding.contracts WHERE partner_id = %s",
            (data.partner_id,),
        )
        == 1
    )  # type: ignore[attr-defined]


def test_poison_to_dlq_health_from_admin_stats_then_replay_once(env: DevEnvironment) -> None:
    db = env.stack.database_url
    query(db, "DELETE FROM onboarding.contract_templates WHERE template_id = 'TPL-PRE-IND'")
    data = sample(
        "PartnerRegistrationCompleted",
        905,
        partner_type="INDIVIDUAL",
        preferred_contract_type="PREMIUM",
    )
    event = REGISTRY.new(data)
    publish(env, event)
    wait_for(
        lambda: (
            scalar(
                db, "SELECT attempts FROM eventing.dead_letters WHERE event_id = %s", (event.id,)
            )
            == 3
        ),
        timeout=90,
        what="the dead letter",
    )
    _, body = wait_for(
        lambda: (lambda r: r if r[1]["dead_letter_queue_size"] == 1 else None)(health(env)),
        timeout=60,
        what="the DLQ size from the admin topic stats",
    )
    assert body["consumer_lag"] is not None  # read from the admin API, not unknown

    query(
        db,
        "INSERT INTO onboarding.contract_templates VALUES ('TPL-PRE-IND', 'PREMIUM',"
        " 'INDIVIDUAL', 'Premium freelancer agreement', 12.00, 30, 24)",
    )
    result = invoke(env, dlq, "replay", "onboarding", "--reason", "missing_reference")
    assert result.exit_code == 0, result.output
    wait_for(
        lambda: (
            scalar(
                db,
                "SELECT count(*) FROM onboarding.contracts WHERE partner_id = %s",
                (data.partner_id,),
            )
            == 1
        ),
        timeout=60,
    )  # type: ignore[attr-defined]
    wait_for(lambda: health(env)[1]["dead_letter_queue_size"] == 0, timeout=60)
    again = invoke(env, dlq, "replay", "onboarding")
    assert again.exit_code == 0
    assert scalar(db, "SELECT count(*) FROM eventing.inbox WHERE event_id = %s", (event.id,)) == 1


def test_key_shared_with_two_instances_keeps_per_key_order(env: DevEnvironment) -> None:
    topic = f"persistent://hexabuilders/test/key-order-{id(env)}"
    spec = FunctionSpec.model_validate(
        {
            "name": "key-order",
            "namespace": "test",
            "class_name": "tests.integration.runtime_functions.probes.KeyOrder",
            "inputs": [topic],
            "dead_letter_topic": f"{topic}-dlq",
            "subscription_type": "Key_Shared",
            "parallelism": 2,
        }
    )
    metrics = Metrics()
    instances = [
        FunctionInstance(
            spec,
            i,
            env.stack.pulsar_url,
            FunctionStats(
                metrics, tenant="hexabuilders", namespace="test", name="key-order", instance_id=i
            ),
            options=RuntimeOptions(operation_timeout_s=10),
        )
        for i in range(2)
    ]
    probes.SEEN.clear()
    for instance in instances:
        instance.start()
    try:
        client = new_client(env.stack.pulsar_url)
        producer = client.create_producer(topic, batching_type=pulsar.BatchingType.KeyBased)
        # 64 keys: Pulsar splits the key hash range between the two consumers, and with only
        # a handful of keys all of them can land on one consumer by chance.
        keys = [f"partner-{k}" for k in range(KEYS)]
        for seq in range(PER_KEY):
            for key in keys:
                producer.send_async(
                    f"{key}:{seq}".encode(), lambda res, mid: None, partition_key=key
                )
        producer.flush()
        client.close()
        seen = wait_for(
            lambda: (lambda s: s if len(s) == KEYS * PER_KEY else None)(probes.seen("order")),
            timeout=60,
            what="every message",
        )
    finally:
        for instance in instances:
            instance.stop()
    by_key: dict[str, list[int]] = {}
    owner: dict[str, set[str]] = {}
    for instance_id, payload in seen:
        key, seq = payload.rsplit(":", 1)
        by_key.setdefault(key, []).append(int(seq))
        owner.setdefault(key, set()).add(instance_id)
    assert len(by_key) == KEYS
    assert all(sequence == list(range(PER_KEY)) for sequence in by_key.values())
    assert all(len(instances_) == 1 for instances_ in owner.values())  # a key sticks
    assert len({i for ids in owner.values() for i in ids}) == 2  # both instances worked
