"""One function instance, with the released Python runtime's semantics (contract §3).

A message listener puts each message into a queue of one slot and blocks while it is full; a
single execution thread takes messages off and calls ``process``.  So, as on a real worker,
an instance handles strictly one message at a time across all its inputs, with back-pressure
into the client's receive queue.  Acks and nacks follow the processing guarantee exactly
(§3.3), including the corners: ATMOST_ONCE acks before ``process`` runs, an exception nacks
under every guarantee, an output SerDe that returns ``None`` leaves the input unacked.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import queue
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import pulsar

from hexa.deployment import FunctionSpec, Guarantee, SubscriptionType
from hexa.pulsar_client import new_client
from hexa.runtime.context import DEFAULT_SERDE, LocalContext
from hexa.runtime.loader import LoadedFunction, load_function, load_serde
from hexa.runtime.metrics import FunctionStats
from hexa.runtime.state import NullState, PostgresState

log = logging.getLogger("hexa.runtime")

SPACER_TOPIC = "persistent://hexabuilders/hexa-local/consumer-id-spacer"
INPUT_TOPIC_PROPERTY = "__pfn_input_topic__"
INPUT_MSG_ID_PROPERTY = "__pfn_input_msg_id__"
_CONSUMER_TYPES = {
    SubscriptionType.SHARED: pulsar.ConsumerType.Shared,
    SubscriptionType.FAILOVER: pulsar.ConsumerType.Failover,
    SubscriptionType.KEY_SHARED: pulsar.ConsumerType.KeyShared,
}


class Compat(StrEnum):
    """Which Python runtime to reproduce where released and master differ (contract §3).

    ``released``: nack delay left at the client default (60 s), input properties not
    forwarded to outputs.  ``master``: the configured nack delay, properties forwarded when
    ``forward_source_message_property`` is true.
    """

    RELEASED = "released"
    MASTER = "master"


@dataclass(frozen=True)
class RuntimeOptions:
    compat: Compat = Compat.MASTER
    cluster: str = "local"
    operation_timeout_s: int = 30
    code_dir: Path | None = None
    stop_timeout_s: float = 30.0
    distinct_consumer_ids: bool = False
    """pulsar-lite keys a subscription's consumers by the client-chosen consumer id, which
    every connection numbers from 0: a second instance's consumer collides with the first's
    and is refused.  With this set, instance N first spends N ids on a scratch topic."""


DEFAULT_OPTIONS = RuntimeOptions()

# (function name, event type, seconds, error) -> EventMetrics
ConsumedHook = Callable[[str, str, float, bool], None]
PublishedHook = Callable[[str, str, float, bool], None]


class FunctionInstance:
    def __init__(
        self,
        spec: FunctionSpec,
        instance_id: int,
        pulsar_url: str,
        stats: FunctionStats,
        *,
        options: RuntimeOptions = DEFAULT_OPTIONS,
        database_url: str | None = None,
        secret_source: Mapping[str, str] | None = None,
        on_consumed: ConsumedHook | None = None,
        on_published: PublishedHook | None = None,
        event_type_of_topic: Callable[[str], str] | None = None,
    ) -> None:
        self.spec = spec
        self.instance_id = instance_id
        self.stats = stats
        self._url = pulsar_url
        self._options = options
        self._database_url = database_url
        self._secret_source = secret_source if secret_source is not None else os.environ
        self._on_consumed = on_consumed
        self._on_published = on_published
        self._type_of_topic = event_type_of_topic or (lambda topic: topic)
        self._queue: queue.Queue[tuple[pulsar.Consumer, pulsar.Message]] = queue.Queue(1)
        self._stopping = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._client: pulsar.Client | None = None
        self._consumers: dict[str, pulsar.Consumer] = {}
        self._sink: pulsar.Producer | None = None
        self._sink_lock = threading.Lock()
        self._state: PostgresState | NullState = NullState()
        self._function: LoadedFunction | None = None
        self.context: LocalContext | None = None
        self.subscribed = threading.Event()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        spec = self.spec
        # The runtime gives every instance a client of its own with one IO and one listener
        # thread: a listener blocked on the full queue must not stall any other instance.
        self._client = new_client(
            self._url,
            io_threads=1,
            message_listener_threads=1,
            operation_timeout_seconds=self._options.operation_timeout_s,
        )
        self._function = load_function(spec.class_name, self._options.code_dir)
        self._input_serdes = {
            t: load_serde(spec.custom_serde_inputs.get(t, DEFAULT_SERDE), self._options.code_dir)
            for t in spec.inputs
        }
        self._output_serde = load_serde(spec.output_serde_class_name, self._options.code_dir)
        if self._database_url:
            self._state = PostgresState(self._database_url, spec.fqfn)
        self.context = LocalContext(
            tenant=spec.tenant,
            namespace=spec.namespace,
            name=spec.name,
            instance_id=self.instance_id,
            function_id=str(uuid.uuid4()),
            function_version=str(uuid.uuid4()),
            input_topics=list(spec.inputs),
            output_topic=spec.output,
            output_serde=spec.output_serde_class_name,
            user_config=spec.user_config_with_policy(),
            secrets=spec.secrets,
            secret_source=self._secret_source,
            client=self._client,
            consumers=self._consumers,
            stats=self.stats,
            state=self._state,
            on_publish=self._published,
        )
        if self._options.distinct_consumer_ids:
            self._spend_consumer_ids(self.instance_id * len(spec.inputs))
        for topic in spec.inputs:
            self._consumers[topic] = self._subscribe(topic)
        self._thread = threading.Thread(
            target=self._run, name=f"{spec.name}-{self.instance_id}", daemon=True
        )
        self._thread.start()
        self.subscribed.set()

    def _subscribe(self, topic: str) -> pulsar.Consumer:
        spec = self.spec
        kind = spec.subscription_type
        if spec.processing_guarantee == Guarantee.EFFECTIVELY_ONCE:
            kind = SubscriptionType.FAILOVER
        options: dict[str, Any] = {
            "consumer_type": _CONSUMER_TYPES[kind],
            "initial_position": pulsar.InitialPosition.Earliest
            if spec.subscription_position == "Earliest"
            else pulsar.InitialPosition.Latest,
            "properties": self.context.metadata_properties() if self.context else {},
            "message_listener": self._listen,
        }
        if spec.ack_timeout_ms > 0:
            options["unacked_messages_timeout_ms"] = spec.ack_timeout_ms
        if self._options.compat == Compat.MASTER:
            options["negative_ack_redelivery_delay_ms"] = spec.negative_ack_redelivery_delay_ms
        assert self._client is not None
        return self._client.subscribe(topic, spec.subscription, **options)

    def _spend_consumer_ids(self, count: int) -> None:
        assert self._client is not None
        for _ in range(count):
            spacer = self._client.subscribe(
                SPACER_TOPIC, f"spacer-{uuid.uuid4()}", consumer_type=pulsar.ConsumerType.Shared
            )
            spacer.unsubscribe()
            spacer.close()

    def stop(self) -> None:
        """Finish the message in hand, hand back the one queued, ack nothing unfinished."""
        if self._stopped.is_set():
            return
        self._stopping.set()
        for consumer in self._consumers.values():
            with contextlib.suppress(pulsar.PulsarException):
                consumer.pause_message_listener()
        if self._thread is not None:
            self._thread.join(self._options.stop_timeout_s)
            if self._thread.is_alive():
                log.warning(
                    "%s-%d still busy at shutdown; its message stays unacked",
                    self.spec.name,
                    self.instance_id,
                )
        self._return_queued()
        if self.context is not None:
            self.context.flush_and_close()
        with self._sink_lock:
            if self._sink is not None:
                self._sink.flush()
                self._sink.close()
        for consumer in self._consumers.values():
            with contextlib.suppress(pulsar.PulsarException):
                consumer.close()
        if isinstance(self._state, PostgresState):
            self._state.close()
        if self._client is not None:
            self._client.close()
        self._stopped.set()

    def _return_queued(self) -> None:
        while True:
            try:
                consumer, message = self._queue.get_nowait()
            except queue.Empty:
                return
            consumer.negative_acknowledge(message)

    # -- the listener (client thread) --------------------------------------------------------

    def _listen(self, consumer: pulsar.Consumer, message: pulsar.Message) -> None:
        self.stats.incr_received()
        if self.spec.processing_guarantee == Guarantee.ATMOST_ONCE:
            consumer.acknowledge(message)
        while not self._stopping.is_set():
            try:
                self._queue.put((consumer, message), timeout=0.1)
                return
            except queue.Full:
                continue
        consumer.negative_acknowledge(message)  # shutting down: give it back

    # -- the execution thread ----------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                consumer, message = self._queue.get(timeout=0.1)
            except queue.Empty:
                continue
            self._handle(consumer, message)

    def _handle(self, consumer: pulsar.Consumer, message: pulsar.Message) -> None:
        assert self.context is not None and self._function is not None
        topic = self._configured_topic(message.topic_name())
        self.context.set_current(message, topic)
        event_type = message.properties().get("ce_type", "unknown")
        try:
            value = self._input_serdes[topic].deserialize(message.data())
        except Exception as exc:
            self._system_failure(consumer, message, exc, "deserialize")
            return
        self.stats.set_last_invocation(time.time() * 1000)
        started = time.perf_counter()
        try:
            result = self._function.call(value, self.context)
        except Exception as exc:
            elapsed = time.perf_counter() - started
            self.stats.incr_user_exception(exc)
            log.error(
                "%s-%d: process raised %s: %s",
                self.spec.name,
                self.instance_id,
                type(exc).__name__,
                exc,
                extra={"function": self.spec.name},
            )
            consumer.negative_acknowledge(message)
            self._consumed(event_type, elapsed, error=True)
            return
        elapsed = time.perf_counter() - started
        try:
            self._process_result(result, consumer, message)
        except Exception as exc:
            self._system_failure(consumer, message, exc, "output")
            return
        self.stats.incr_processed(elapsed * 1000)
        self._consumed(event_type, elapsed, error=False)

    def _process_result(
        self, result: Any, consumer: pulsar.Consumer, message: pulsar.Message
    ) -> None:
        guarantee = self.spec.processing_guarantee
        if result is not None and self.spec.output:
            payload = self._output_serde.serialize(result)
            if payload is None:
                return  # the runtime sends nothing and, faithfully, acks nothing
            properties = {}
            if self._options.compat == Compat.MASTER and self.spec.forward_source_message_property:
                properties.update(message.properties())
            properties[INPUT_TOPIC_PROPERTY] = message.topic_name()
            properties[INPUT_MSG_ID_PROPERTY] = base64.urlsafe_b64encode(
                message.message_id().serialize()
            ).decode()
            self._sink_producer().send_async(
                bytes(payload),
                lambda res, _mid: self._sink_sent(res, consumer, message),
                properties=properties,
            )
            return
        if not self.spec.auto_ack:
            return
        if guarantee == Guarantee.ATLEAST_ONCE:
            consumer.acknowledge(message)
        elif guarantee == Guarantee.EFFECTIVELY_ONCE:
            consumer.acknowledge_cumulative(message)

    def _sink_sent(self, result: Any, consumer: pulsar.Consumer, message: pulsar.Message) -> None:
        if result == pulsar.Result.Ok:
            if self.spec.auto_ack and self.spec.processing_guarantee in (
                Guarantee.ATLEAST_ONCE,
                Guarantee.EFFECTIVELY_ONCE,
            ):
                consumer.acknowledge(message)
            return
        error = Exception(f"Failed to publish to topic [{self.spec.output}]: {result}")
        log.error("%s-%d: %s", self.spec.name, self.instance_id, error)
        self.stats.incr_system_exception(error)
        consumer.negative_acknowledge(message)

    def _sink_producer(self) -> pulsar.Producer:
        with self._sink_lock:
            if self._sink is None:
                assert self._client is not None and self.spec.output and self.context
                self._sink = self._client.create_producer(
                    self.spec.output,
                    block_if_queue_full=True,
                    batching_enabled=True,
                    batching_max_publish_delay_ms=10,
                    compression_type=getattr(pulsar.CompressionType, self.spec.compression_type),
                    send_timeout_millis=0,
                    properties=self.context.metadata_properties(),
                )
            return self._sink

    def _system_failure(
        self, consumer: pulsar.Consumer, message: pulsar.Message, exc: Exception, stage: str
    ) -> None:
        self.stats.incr_system_exception(exc)
        log.error("%s-%d: %s failed: %s", self.spec.name, self.instance_id, stage, exc)
        consumer.negative_acknowledge(message)

    def _configured_topic(self, topic_name: str) -> str:
        """The input topic as configured (``-partition-N`` stripped) for SerDe and acks."""
        if topic_name in self._consumers:
            return topic_name
        base = topic_name.rsplit("-partition-", 1)[0]
        return base if base in self._consumers else self.spec.inputs[0]

    def _consumed(self, event_type: str, seconds: float, *, error: bool) -> None:
        if self._on_consumed is not None:
            self._on_consumed(self.spec.name, event_type, seconds, error)

    def _published(self, topic: str, seconds: float, ok: bool) -> None:
        if self._on_published is not None:
            self._on_published(self.spec.name, self._type_of_topic(topic), seconds, not ok)
