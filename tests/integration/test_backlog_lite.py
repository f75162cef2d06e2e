"""`LiteMetricsBacklog` against a real pulsar-lite broker: unacked messages become lag."""

from __future__ import annotations

import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pulsar
import pytest

from hexa.pulsar_client import new_client
from hexa.runtime.backlog import BacklogError, LiteMetricsBacklog
from hexa.stack import LiteBroker

pytestmark = pytest.mark.integration


@pytest.fixture
def broker() -> Iterator[LiteBroker]:
    # Under /tmp like tests/integration/test_stack.py, not a TMPDIR that may be under /root.
    home = Path(tempfile.mkdtemp(dir="/tmp", prefix="hexa-backlog-test-"))
    broker = LiteBroker(home / "broker")
    try:
        broker.start()
        yield broker
    finally:
        broker.stop()
        shutil.rmtree(home, ignore_errors=True)


def test_unacked_messages_on_a_shared_subscription_show_up_as_backlog(
    broker: LiteBroker,
) -> None:
    topic = f"persistent://hexabuilders/test/backlog-{uuid.uuid4().hex[:12]}"
    source = LiteMetricsBacklog(broker.metrics_url)
    # Unsupported commands get no reply from pulsar-lite: do not wait the default 30 s.
    client = new_client(broker.url, operation_timeout_seconds=5)
    try:
        consumer = client.subscribe(topic, "lagging", consumer_type=pulsar.ConsumerType.Shared)
        # No batching: the broker counts stored entries, and a batch is one entry.
        producer = client.create_producer(topic, batching_enabled=False)
        for index in range(5):
            producer.send(f"message {index}".encode())
        # Delivered but never acknowledged: still backlog.
        assert consumer.receive(timeout_millis=5000).data() == b"message 0"

        seen: dict[tuple[str, str], int] = {}
        deadline = time.monotonic() + 30  # the broker refreshes the gauge about every 5 s
        while seen.get((topic, "lagging")) != 5:
            if time.monotonic() > deadline:
                pytest.fail(f"no backlog 5 for {topic} after 30 s; last reading {seen}")
            time.sleep(0.2)
            seen = source.backlogs()
    finally:
        client.close()

    broker.stop()
    with pytest.raises(BacklogError, match="cannot read"):
        source.backlogs()
