"""The local host reproduces the released Pulsar Python runtime, rule by rule (contract §8).

Each test runs one instance against the real broker and observes what the official client
sees: deliveries, acks (backlog / redelivery), properties, and the Pulsar metric counters.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pulsar
import pytest

from hexa.deployment import FunctionSpec, Guarantee
from hexa.runtime.instance import (
    INPUT_MSG_ID_PROPERTY,
    INPUT_TOPIC_PROPERTY,
    Compat,
    FunctionInstance,
    RuntimeOptions,
)
from hexa.runtime.metrics import FunctionStats, Metrics
from tests.conditions import wait_for
from tests.integration.helpers import scalar
from tests.integration.runtime_functions import probes

pytestmark = pytest.mark.integration
PROBES = "tests.integration.runtime_functions.probes"
PURE_DIR = Path(__file__).parent / "runtime_functions"

Starter = Callable[..., FunctionInstance]
LITE = RuntimeOptions(operation_timeout_s=10, distinct_consumer_ids=True)


@pytest.fixture(autouse=True)
def _clear_probes() -> None:
    probes.SEEN.clear()


@pytest.fixture
def start(pulsar_url: str, topic_prefix: str) -> Iterator[Starter]:
    """Start an instance of a probe function on ``<prefix>-in`` (stopped at test end)."""
    started: list[FunctionInstance] = []
    metrics = Metrics()

    def _start(
        class_name: str,
        instance_id: int = 0,
        database_url: str | None = None,
        options: RuntimeOptions | None = None,
        **fields: Any,
    ) -> FunctionInstance:
        spec = FunctionSpec.model_validate(
            {
                "name": fields.pop("name", "probe"),
                "namespace": "test",
                "class_name": class_name,
                "inputs": [f"{topic_prefix}-in"],
                "dead_letter_topic": f"{topic_prefix}-dlq",
                **fields,
            }
        )
        stats = FunctionStats(
            metrics,
            tenant=spec.tenant,
            namespace=spec.namespace,
            name=spec.name,
            instance_id=instance_id,
        )
        instance = FunctionInstance(
            spec,
            instance_id,
            pulsar_url,
            stats,
            options=options or LITE,
            database_url=database_url,
        )
        instance.start()
        started.append(instance)
        return instance

    yield _start
    for instance in started:
        instance.stop()


def produce(client: Any, topic: str, *payloads: bytes, **kw: Any) -> None:
    producer = client.create_producer(topic)
    for payload in payloads:
        producer.send(payload, **kw)
    producer.close()


def redelivered(client: Any, topic: str, subscription: str, timeout_ms: int = 15000) -> bytes:
    """The next message the subscription hands a fresh consumer (an unacked one comes back)."""
    consumer = client.subscribe(topic, subscription, consumer_type=pulsar.ConsumerType.Shared)
    try:
        message = consumer.receive(timeout_millis=timeout_ms)
        consumer.acknowledge(message)
        return bytes(message.data())
    finally:
        consumer.close()


def status(instance: FunctionInstance) -> dict[str, Any]:
    return instance.stats.status()


def test_class_is_built_once_and_output_carries_the_pfn_properties(
    start: Starter, pulsar_client: Any, topic_prefix: str
) -> None:
    out = pulsar_client.subscribe(f"{topic_prefix}-out", "reader")
    instance = start(f"{PROBES}.Echo", output=f"{topic_prefix}-out")
    produce(
        pulsar_client, f"{topic_prefix}-in", b"hello", properties={"k": "v"}, partition_key="p-1"
    )

    message = out.receive(timeout_millis=15000)
    props = message.properties()
    assert message.data() == b"hello!"
    assert props[INPUT_TOPIC_PROPERTY] == f"{topic_prefix}-in"
    msg_id = pulsar.MessageId.deserialize(base64.urlsafe_b64decode(props[INPUT_MSG_ID_PROPERTY]))
    assert msg_id.entry_id() >= 0
    assert props["k"] == "v"  # master behaviour: source properties forwarded
    assert message.partition_key() == ""  # the input key is never copied
    wait_for(lambda: status(instance)["numSuccessfullyProcessed"] == 1, what="processed count")
    assert status(instance)["numReceived"] == 1


def test_released_compat_does_not_forward_properties(
    start: Starter, pulsar_client: Any, topic_prefix: str
) -> None:
    out = pulsar_client.subscribe(f"{topic_prefix}-out", "reader")
    start(
        f"{PROBES}.Echo",
        output=f"{topic_prefix}-out",
        options=replace(LITE, compat=Compat.RELEASED),
    )
    produce(pulsar_client, f"{topic_prefix}-in", b"x", properties={"k": "v"})
    props = out.receive(timeout_millis=15000).properties()
    assert "k" not in props and INPUT_TOPIC_PROPERTY in props


def test_identity_serde_turns_numbers_into_numbers_and_context_quirks_hold(
    start: Starter, pulsar_client: Any, topic_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROBE_ENV", "s3cret")
    start(f"{PROBES}.TypeProbe", secrets={"PROBE_SECRET": "PROBE_ENV"})
    produce(
        pulsar_client,
        f"{topic_prefix}-in",
        b"42",
        b"3.5",
        b"text",
        b"\xff\x00",
        properties={"p": "1"},
        partition_key="key-1",
    )
    types = wait_for(lambda: probes.seen("type") if len(probes.seen("type")) == 4 else None)
    assert sorted(types) == sorted(["int", "float", "str", "bytes"])
    ctx = probes.seen("ctx")[0]
    assert ctx["instance_id"] == "0"
    assert ctx["ordering_key"] is None
    assert ctx["secret"] == "s3cret" and ctx["missing_secret"] is None
    assert ctx["topic"] == f"{topic_prefix}-in"
    assert ctx["key"] == "key-1" and ctx["properties"] == {"p": "1"}
    # user config always has the retry policy; a bare function would see [] (next test)
    assert isinstance(ctx["user_config_map"], dict)


def test_empty_user_config_map_is_a_list() -> None:
    from hexa.runtime.context import LocalContext

    ctx = LocalContext.__new__(LocalContext)
    ctx._user_config = {}
    assert ctx.get_user_config_map() == []


def test_user_exception_nacks_and_redelivers_after_the_configured_delay(
    start: Starter, pulsar_client: Any, topic_prefix: str
) -> None:
    instance = start(f"{PROBES}.Fails", negative_ack_redelivery_delay_ms=1000)
    sent = time.monotonic()
    produce(pulsar_client, f"{topic_prefix}-in", b"poison")
    wait_for(lambda: len(probes.seen("fails")) >= 2, timeout=20, what="a redelivery")
    elapsed = time.monotonic() - sent
    assert 0.9 <= elapsed < 30  # 1 s nack delay, not the client's 60 s default
    assert status(instance)["numUserExceptions"] >= 2
    assert status(instance)["numSuccessfullyProcessed"] == 0


def test_atmost_once_acks_before_process_so_a_failure_is_not_redelivered(
    start: Starter, pulsar_client: Any, topic_prefix: str
) -> None:
    instance = start(f"{PROBES}.Fails", processing_guarantee=Guarantee.ATMOST_ONCE)
    produce(pulsar_client, f"{topic_prefix}-in", b"once")
    wait_for(lambda: status(instance)["numUserExceptions"] == 1)
    instance.stop()
    produce(pulsar_client, f"{topic_prefix}-in", b"marker")
    assert redelivered(pulsar_client, f"{topic_prefix}-in", instance.spec.subscription) == b"marker"


def test_atleast_once_without_output_acks_after_process(
    start: Starter, pulsar_client: Any, topic_prefix: str
) -> None:
    instance = start(f"{PROBES}.TypeProbe")
    produce(pulsar_client, f"{topic_prefix}-in", b"first")
    wait_for(lambda: status(instance)["numSuccessfullyProcessed"] == 1)
    instance.stop()
    produce(pulsar_client, f"{topic_prefix}-in", b"marker")
    assert redelivered(pulsar_client, f"{topic_prefix}-in", instance.spec.subscription) == b"marker"


def test_manual_acks_only_what_the_function_acked(
    start: Starter, pulsar_client: Any, topic_prefix: str
) -> None:
    instance = start(f"{PROBES}.ManualAck", processing_guarantee=Guarantee.MANUAL)
    produce(pulsar_client, f"{topic_prefix}-in", b"ack-me", b"leave-me")
    wait_for(lambda: len(probes.seen("manual")) == 2)
    wait_for(lambda: status(instance)["numSuccessfullyProcessed"] == 2)
    instance.stop()
    assert (
        redelivered(pulsar_client, f"{topic_prefix}-in", instance.spec.subscription) == b"leave-me"
    )


def test_returning_a_dict_is_a_system_exception_and_a_nack(
    start: Starter, pulsar_client: Any, topic_prefix: str
) -> None:
    instance = start(
        f"{PROBES}.ReturnsDict", output=f"{topic_prefix}-out", negative_ack_redelivery_delay_ms=200
    )
    produce(pulsar_client, f"{topic_prefix}-in", b"v")
    wait_for(lambda: status(instance)["numSystemExceptions"] >= 2, what="redelivered failures")
    assert status(instance)["numSuccessfullyProcessed"] == 0


def test_output_serde_returning_none_sends_nothing_and_acks_nothing(
    start: Starter, pulsar_client: Any, topic_prefix: str
) -> None:
    out = pulsar_client.subscribe(f"{topic_prefix}-out", "reader")
    instance = start(
        f"{PROBES}.Echo",
        output=f"{topic_prefix}-out",
        output_serde_class_name=f"{PROBES}.NoneSerDe",
    )
    produce(pulsar_client, f"{topic_prefix}-in", b"kept")
    wait_for(lambda: status(instance)["numSuccessfullyProcessed"] == 1)
    instance.stop()
    assert redelivered(pulsar_client, f"{topic_prefix}-in", instance.spec.subscription) == b"kept"
    with pytest.raises(pulsar.Timeout):
        out.receive(timeout_millis=300)


def test_pure_function_and_broken_constructor_fall_back_to_process_input(
    start: Starter, pulsar_client: Any, topic_prefix: str
) -> None:
    out = pulsar_client.subscribe(f"{topic_prefix}-out", "reader")
    # Like the real runtime, a pure function is named by its bare module, from its code dir.
    start("pure", output=f"{topic_prefix}-out", options=replace(LITE, code_dir=PURE_DIR))
    produce(pulsar_client, f"{topic_prefix}-in", b"abc")
    assert out.receive(timeout_millis=15000).data() == b"ABC"

    # A constructor that raises flips the class into pure mode too, where the unbound
    # ``cls.process(input)`` then fails on every message: a user exception each time.
    broken = start(f"{PROBES}.BrokenInit", name="broken", negative_ack_redelivery_delay_ms=200)
    wait_for(lambda: status(broken)["numUserExceptions"] >= 2, what="repeated user exceptions")
    assert status(broken)["numSuccessfullyProcessed"] == 0
    assert probes.seen("broken") == []


def test_default_subscription_name_is_tenant_namespace_name(
    start: Starter, pulsar_client: Any, topic_prefix: str
) -> None:
    instance = start(f"{PROBES}.TypeProbe", name="defaults")
    assert instance.spec.subscription == "hexabuilders/test/defaults"
    instance.stop()
    produce(pulsar_client, f"{topic_prefix}-in", b"for-the-subscription")
    assert redelivered(pulsar_client, f"{topic_prefix}-in", "hexabuilders/test/defaults") == (
        b"for-the-subscription"
    )


def test_parallel_instances_share_the_subscription(
    start: Starter, pulsar_client: Any, topic_prefix: str
) -> None:
    for i in range(2):
        start(f"{PROBES}.Instance", instance_id=i, subscription_name="shared-sub")
    produce(pulsar_client, f"{topic_prefix}-in", *[str(i).encode() for i in range(40)])
    wait_for(lambda: len(probes.seen("instance")) == 40, what="all 40 messages")
    assert set(probes.seen("instance")) == {"0", "1"}


def test_counters_and_state_live_in_postgres(
    start: Starter, pulsar_client: Any, topic_prefix: str, database_url: str
) -> None:
    start(f"{PROBES}.Counter", database_url=database_url)
    produce(pulsar_client, f"{topic_prefix}-in", b"a", b"b", b"c")
    wait_for(lambda: probes.seen("counter") == [1, 2, 3], what="counter increments")
    assert (
        scalar(
            database_url, "SELECT value FROM eventing.function_state WHERE key = 'last'"
        ).tobytes()
        == b"c"
    )


def test_without_state_storage_counters_are_null(
    start: Starter, pulsar_client: Any, topic_prefix: str
) -> None:
    start(f"{PROBES}.Counter")
    produce(pulsar_client, f"{topic_prefix}-in", b"a")
    assert wait_for(lambda: probes.seen("counter")) == [None]
