"""Dead-letter topics as the tooling sees them.

Every dead-letter topic gets one durable subscription of ours.  Its backlog *is* the number of
dead letters nobody has dealt with yet (what ``/health/events`` reports as
``dead_letter_queue_size``), and ``hexa dlq purge`` acknowledges on it.  Without a
subscription a topic has no backlog to measure.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pulsar

DLQ_SUBSCRIPTION = "hexa-dead-letters"


def ensure_subscriptions(client: Any, topics: Iterable[str]) -> None:
    """Create the monitoring subscription on each topic (from the earliest message)."""
    for topic in sorted(set(topics)):
        consumer = client.subscribe(
            topic,
            DLQ_SUBSCRIPTION,
            consumer_type=pulsar.ConsumerType.Shared,
            initial_position=pulsar.InitialPosition.Earliest,
            receiver_queue_size=1,
        )
        consumer.close()
