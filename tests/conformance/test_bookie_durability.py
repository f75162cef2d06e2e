"""Before any crash test trusts the standalone: does its embedded bookie keep what it
acknowledged when the whole process is killed with SIGKILL?

The Pulsar sources show test bookies with ``journalWriteData=false``; the standalone this
project writes sets ``journalWriteData=true`` and ``journalSyncData=true`` and the 4.0.8
RocksDB-metadata path builds the bookie from that file. Measured: nothing published is lost;
acknowledgements made in the last second before the kill are (the cursor is persisted
lazily), so those messages come again: at-least-once, as Pulsar promises.
"""

from __future__ import annotations

import time

import pulsar
import pytest

from hexa.pulsar_client import new_client
from tests.conformance.conftest import RealPulsar

pytestmark = [pytest.mark.conformance, pytest.mark.slow]

PUBLISHED_FIRST, ACKED, PUBLISHED_LAST = 600, 400, 200


def test_kill_9_loses_no_published_message(real_pulsar: RealPulsar) -> None:
    standalone = real_pulsar.standalone
    if standalone is None or real_pulsar.service_url is None:
        pytest.skip("the broker was not started by this session: it is not ours to kill")
    auth = pulsar.AuthenticationToken(real_pulsar.token) if real_pulsar.token else None
    topic = f"persistent://public/default/kill-9-{time.time_ns()}"

    def client() -> pulsar.Client:
        assert real_pulsar.service_url is not None
        return new_client(
            real_pulsar.service_url, authentication=auth, operation_timeout_seconds=30
        )

    before = client()
    try:
        consumer = before.subscribe(topic, "durability", consumer_type=pulsar.ConsumerType.Shared)
        producer = before.create_producer(topic, batching_enabled=False)
        for i in range(PUBLISHED_FIRST):
            producer.send(str(i).encode())
        for _ in range(ACKED):
            consumer.acknowledge(consumer.receive(timeout_millis=10_000))
        # Published and confirmed right before the kill: the journal must already hold them.
        for i in range(PUBLISHED_FIRST, PUBLISHED_FIRST + PUBLISHED_LAST):
            producer.send(str(i).encode())
        standalone.kill()
    finally:
        before.close()
    standalone.start()

    after = client()
    try:
        consumer = after.subscribe(topic, "durability", consumer_type=pulsar.ConsumerType.Shared)
        seen: set[int] = set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                message = consumer.receive(timeout_millis=3_000)
            except pulsar.Timeout:
                break
            seen.add(int(message.data()))
            consumer.acknowledge(message)
    finally:
        after.close()
    unacked = set(range(ACKED, PUBLISHED_FIRST + PUBLISHED_LAST))
    assert unacked - seen == set(), f"lost {len(unacked - seen)} acknowledged publishes"
    assert seen <= set(range(PUBLISHED_FIRST + PUBLISHED_LAST))
    redelivered = len(seen - unacked)
    print(f"kill -9: 0 of {len(unacked)} unacked lost; {redelivered} of {ACKED} acked redelivered")
