"""The ``Context`` a function sees on the local host, method for method as on a real worker.

Only the methods of pulsar-client's ``Context`` (plus the runtime-only extras the released
``contextimpl.py`` has) exist, with the runtime's quirks kept on purpose: the user-config map
is ``[]`` when empty, the instance id is a string, ``get_ordering_key`` returns ``None``,
``ack`` needs the topic exactly as configured.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pulsar

from hexa.runtime.loader import load_serde
from hexa.runtime.state import NullState, StateStore

if TYPE_CHECKING:
    from hexa.runtime.metrics import FunctionStats

DEFAULT_SERDE = "serde.IdentitySerDe"
_PARTITION_SUFFIX = re.compile(r"^(.+)-partition-(\d+)$")


class LocalContext:
    def __init__(
        self,
        *,
        tenant: str,
        namespace: str,
        name: str,
        instance_id: int,
        function_id: str,
        function_version: str,
        input_topics: list[str],
        output_topic: str | None,
        output_serde: str,
        user_config: Mapping[str, Any],
        secrets: Mapping[str, str],
        secret_source: Mapping[str, str],
        client: pulsar.Client,
        consumers: Mapping[str, pulsar.Consumer],
        stats: FunctionStats,
        state: StateStore | NullState,
        on_publish: Callable[[str, float, bool], None] | None = None,
    ) -> None:
        self._tenant = tenant
        self._namespace = namespace
        self._name = name
        self._instance_id = instance_id
        self._function_id = function_id
        self._function_version = function_version
        self._input_topics = list(input_topics)
        self._output_topic = output_topic
        self._output_serde = output_serde
        self._user_config = dict(user_config)
        self._secrets = dict(secrets)
        self._secret_source = secret_source
        self._client = client
        self._consumers = consumers
        self._stats = stats
        self._state = state
        self._on_publish = on_publish
        self._producers: dict[str, pulsar.Producer] = {}
        self._serdes: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._message: pulsar.Message | None = None
        self._topic: str | None = None
        self._logger = logging.getLogger()

    # -- set by the instance around each call to process -----------------------------------
    def set_current(self, message: pulsar.Message | None, topic: str | None) -> None:
        self._message = message
        self._topic = topic

    # -- the current message ---------------------------------------------------------------
    def get_message_id(self) -> Any:
        return self._message.message_id() if self._message else None

    def get_message_key(self) -> str | None:
        return self._message.partition_key() if self._message else None

    get_partition_key = get_message_key

    def get_ordering_key(self) -> None:
        return None  # declared by the client API, not implemented by the Python runtime

    def get_message_eventtime(self) -> int:
        return int(self._message.event_timestamp()) if self._message else 0

    def get_message_properties(self) -> dict[str, str]:
        return dict(self._message.properties()) if self._message else {}

    def get_current_message_topic_name(self) -> str | None:
        return self._message.topic_name() if self._message else None

    def get_message_sequence_id(self) -> int | None:
        if self._message is None:
            return None
        msg_id = self._message.message_id()
        return int((msg_id.ledger_id() << 28) | msg_id.entry_id())

    def get_message_partition_index(self) -> int:
        return int(self._message.message_id().partition()) if self._message else -1

    # -- the function ------------------------------------------------------------------------
    def get_function_tenant(self) -> str:
        return self._tenant

    def get_function_namespace(self) -> str:
        return self._namespace

    def get_function_name(self) -> str:
        return self._name

    def get_function_id(self) -> str:
        return self._function_id

    def get_function_version(self) -> str:
        return self._function_version

    def get_instance_id(self) -> str:
        return str(self._instance_id)

    def get_logger(self) -> logging.Logger:
        return self._logger

    def get_user_config_value(self, key: str) -> Any:
        return self._user_config.get(key)

    def get_user_config_map(self) -> dict[str, Any] | list[Any]:
        return dict(self._user_config) if self._user_config else []

    def get_secret(self, secret_name: str) -> str | None:
        """Environment-based provider: the secret names a variable of the host's environment
        (the process environment, overlaid with what the host itself provides)."""
        if secret_name not in self._secrets:
            return None
        return self._secret_source.get(self._secrets[secret_name])

    def get_input_topics(self) -> list[str]:
        return list(self._input_topics)

    def get_output_topic(self) -> str | None:
        return self._output_topic

    def get_output_serde_class_name(self) -> str:
        return self._output_serde

    def get_pulsar_client(self) -> pulsar.Client:
        return self._client

    # -- metrics and state -------------------------------------------------------------------
    def record_metric(self, metric_name: str, metric_value: float) -> None:
        self._stats.record_user_metric(metric_name, float(metric_value))

    def incr_counter(self, key: str, amount: int) -> None:
        self._state.incr(key, amount)

    def get_counter(self, key: str) -> int | None:
        return self._state.get_amount(key)

    def del_counter(self, key: str) -> None:
        self._state.delete(key)

    def put_state(self, key: str, value: bytes | str) -> None:
        self._state.put(key, value)

    def get_state(self, key: str) -> bytes | None:
        return self._state.get_value(key)

    # -- acking and publishing ---------------------------------------------------------------
    def ack(self, msgid: Any, topic: str) -> None:
        consumer = self._consumers.get(topic)
        if consumer is None:
            match = _PARTITION_SUFFIX.match(topic)
            consumer = self._consumers.get(match.group(1)) if match else None
        if consumer is None:
            raise ValueError(f"Invalid topicname {topic}")
        consumer.acknowledge(msgid)

    def publish(
        self,
        topic_name: str,
        message: Any,
        serde_class_name: str = DEFAULT_SERDE,
        properties: dict[str, str] | None = None,
        compression_type: Any = None,
        callback: Callable[[Any, Any], None] | None = None,
        message_conf: dict[str, Any] | None = None,
    ) -> None:
        topic_name = str(topic_name)
        producer = self._producer(topic_name, compression_type)
        serde = self._serde(str(serde_class_name))
        payload = bytes(serde.serialize(message))
        conf = dict(message_conf or {})
        if properties:
            conf["properties"] = properties  # the deprecated argument, merged like the runtime
        source_id = self.get_message_id()
        started = time.perf_counter()

        def done(result: Any, msg_id: Any) -> None:
            ok = result == pulsar.Result.Ok
            if not ok:
                error = f"Failed to publish to topic [{topic_name}] with error [{result}]"
                self._logger.error("%s with src message id [%s]", error, source_id)
                self._stats.incr_system_exception(Exception(error))
            if self._on_publish is not None:
                self._on_publish(topic_name, time.perf_counter() - started, ok)
            if callback is not None:
                callback(result, msg_id)

        producer.send_async(payload, done, **conf)

    def _producer(self, topic: str, compression_type: Any) -> pulsar.Producer:
        with self._lock:
            if topic not in self._producers:
                self._producers[topic] = self._client.create_producer(
                    topic,
                    block_if_queue_full=True,
                    batching_enabled=True,
                    batching_max_publish_delay_ms=10,
                    compression_type=compression_type or pulsar.CompressionType.NONE,
                    properties=self.metadata_properties(),
                )
            return self._producers[topic]

    def _serde(self, name: str) -> Any:
        with self._lock:
            if name not in self._serdes:
                self._serdes[name] = load_serde(name)
            return self._serdes[name]

    def metadata_properties(self) -> dict[str, str]:
        fqfn = f"{self._tenant}/{self._namespace}/{self._name}"
        return {"application": "pulsar-function", "id": fqfn, "instance_id": str(self._instance_id)}

    def flush_and_close(self) -> None:
        """Wait for pending publishes, then close the producers this context opened."""
        with self._lock:
            producers = list(self._producers.values())
            self._producers.clear()
        for producer in producers:
            try:
                producer.flush()
            finally:
                producer.close()
