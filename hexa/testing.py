"""A Pulsar Functions ``Context`` for tests: no broker, same contract as the real runtime.

It reproduces what the handlers rely on (IdentitySerDe on publish, callbacks with
``pulsar.Result``, ``[]`` as the empty user-config map, instance id as a string) and lets a test
make the broker misbehave: refuse sends, or never confirm them (a crash between commit and
publish looks exactly like that to the function).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulsar


@dataclass(frozen=True)
class Published:
    topic: str
    payload: bytes
    properties: dict[str, str]
    key: str | None


@dataclass
class FakeContext:
    function_name: str = "test-function"
    tenant: str = "hexabuilders"
    namespace: str = "test"
    user_config: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    topic: str = "persistent://hexabuilders/test/in"
    message_id: str = "(1,0,-1,-1)"
    message_key: str | None = None
    message_properties: dict[str, str] = field(default_factory=dict)
    publish_result: Any = pulsar.Result.Ok
    confirm_publishes: bool = True
    """False: sends are never confirmed, like a broker that went away mid-send."""
    published: list[Published] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    acked: list[tuple[Any, str]] = field(default_factory=list)
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("hexa.test"))

    # -- message --
    def get_message_id(self) -> str:
        return self.message_id

    def get_message_key(self) -> str | None:
        return self.message_key

    get_partition_key = get_message_key

    def get_ordering_key(self) -> None:
        return None

    def get_message_eventtime(self) -> int:
        return 0

    def get_message_properties(self) -> dict[str, str]:
        return dict(self.message_properties)

    def get_current_message_topic_name(self) -> str:
        return self.topic

    # -- function --
    def get_function_tenant(self) -> str:
        return self.tenant

    def get_function_namespace(self) -> str:
        return self.namespace

    def get_function_name(self) -> str:
        return self.function_name

    def get_function_id(self) -> str:
        return "00000000-0000-0000-0000-000000000000"

    def get_function_version(self) -> str:
        return "00000000-0000-0000-0000-000000000001"

    def get_instance_id(self) -> str:
        return "0"

    def get_logger(self) -> logging.Logger:
        return self.logger

    def get_user_config_value(self, key: str) -> Any:
        return self.user_config.get(key)

    def get_user_config_map(self) -> dict[str, Any] | list[Any]:
        return dict(self.user_config) if self.user_config else []

    def get_secret(self, name: str) -> str | None:
        return self.secrets.get(name)

    def get_input_topics(self) -> list[str]:
        return [self.topic]

    def get_output_topic(self) -> str:
        return ""

    def get_output_serde_class_name(self) -> str:
        return "serde.IdentitySerDe"

    def record_metric(self, name: str, value: float) -> None:
        self.metrics.setdefault(name, []).append(value)

    def ack(self, msgid: Any, topic: str) -> None:
        self.acked.append((msgid, topic))

    def publish(
        self,
        topic_name: str,
        message: Any,
        serde_class_name: str = "serde.IdentitySerDe",
        properties: dict[str, str] | None = None,
        compression_type: Any = None,
        callback: Callable[[Any, Any], None] | None = None,
        message_conf: dict[str, Any] | None = None,
    ) -> None:
        conf = dict(message_conf or {})
        if properties:
            conf["properties"] = properties
        payload = _identity_serialize(message)
        if self.publish_result == pulsar.Result.Ok and self.confirm_publishes:
            self.published.append(
                Published(
                    topic_name,
                    payload,
                    dict(conf.get("properties") or {}),
                    conf.get("partition_key"),
                )
            )
        if callback is not None and self.confirm_publishes:
            callback(self.publish_result, None)

    def topic_payloads(self, topic: str) -> list[bytes]:
        return [p.payload for p in self.published if p.topic == topic]


def _identity_serialize(value: Any) -> bytes:
    """The runtime's default SerDe: exact ``str``/numbers as text, ``bytes`` as is."""
    if type(value) is bytes:
        return value
    if type(value) in (str, int, float, complex):
        return str(value).encode()
    raise TypeError(f"IdentitySerDe cannot serialize {type(value).__name__}")
