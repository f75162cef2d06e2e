"""Publishing events from the tooling (``hexa publish``, the simulator, dead-letter replay).

Messages are keyed by partner id, as the functions' own outputs are, so per-partner order
survives on a Key_Shared subscription; the CloudEvents id and type also travel as properties
so tools can filter without parsing the body.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import pulsar

from shared.envelope import CloudEvent, serialize
from shared.events import REGISTRY


def event_key(event: CloudEvent) -> str | None:
    data = event.data if isinstance(event.data, dict) else {}
    return str(data.get("partner_id") or event.subject or "") or None


def event_properties(event: CloudEvent) -> dict[str, str]:
    return {"ce_id": event.id, "ce_type": event.type}


class Publisher:
    """Cached producers per topic over one client; sends wait for the broker's receipt."""

    def __init__(self, client: pulsar.Client) -> None:
        self._client = client
        self._producers: dict[str, pulsar.Producer] = {}
        self._lock = threading.Lock()

    def _producer(self, topic: str) -> pulsar.Producer:
        with self._lock:
            if topic not in self._producers:
                self._producers[topic] = self._client.create_producer(
                    topic, block_if_queue_full=True, batching_enabled=False
                )
            return self._producers[topic]

    def send_raw(
        self,
        topic: str,
        payload: bytes,
        *,
        key: str | None = None,
        properties: Mapping[str, str] | None = None,
    ) -> Any:
        options: dict[str, Any] = {"properties": dict(properties or {})}
        if key:
            options["partition_key"] = key
        return self._producer(topic).send(payload, **options)

    def publish(self, event: CloudEvent) -> Any:
        """Send ``event`` to its catalogue topic; returns the broker's message id."""
        spec = REGISTRY.get(event.type)
        return self.send_raw(
            spec.topic, serialize(event), key=event_key(event), properties=event_properties(event)
        )

    def close(self) -> None:
        with self._lock:
            producers = list(self._producers.values())
            self._producers.clear()
        for producer in producers:
            producer.close()
