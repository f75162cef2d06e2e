"""The local host: every function of ``deploy/functions.yaml`` in one process.

Each function gets ``parallelism`` instances, each with the real runtime's semantics and its own
client; the host adds what a worker gives a function from outside: Prometheus metrics with
Pulsar's names, the spec's ``/health/events``, and a clean stop that acks nothing unfinished.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

import psycopg2

from hexa.dead_letters import DLQ_SUBSCRIPTION, ensure_subscriptions
from hexa.deployment import Deployment, FunctionSpec
from hexa.pulsar_client import new_client
from hexa.runtime.backlog import AdminStatsBacklog, BacklogSource, LiteMetricsBacklog
from hexa.runtime.health import EventsHealth, HealthThresholds
from hexa.runtime.http import ObservabilityServer
from hexa.runtime.instance import DEFAULT_OPTIONS, FunctionInstance, RuntimeOptions
from hexa.runtime.metrics import FunctionStats, Metrics
from shared.events import REGISTRY

log = logging.getLogger("hexa.host")


class LocalHost:
    def __init__(
        self,
        deployment: Deployment,
        *,
        pulsar_url: str,
        database_url: str,
        names: Sequence[str] | None = None,
        options: RuntimeOptions = DEFAULT_OPTIONS,
        broker_metrics_url: str | None = None,
        admin_url: str | None = None,
        admin_token: str | None = None,
        http_port: int = 0,
    ) -> None:
        self.deployment = deployment
        self.specs: list[FunctionSpec] = (
            [deployment.get(n) for n in names] if names else list(deployment.functions)
        )
        self.pulsar_url = pulsar_url
        self.database_url = database_url
        self._options = options
        self._broker_metrics_url = broker_metrics_url
        self._admin_url = admin_url
        self._admin_token = admin_token
        self._http_port = http_port
        self.metrics = Metrics()
        self.instances: list[FunctionInstance] = []
        self.server: ObservabilityServer | None = None
        self.started_in_s: float | None = None
        self._lock = threading.Lock()
        self._stopped = False

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        began = time.perf_counter()
        # The functions read DATABASE_URL through context.get_secret: on the local host (as on
        # Kubernetes) an environment-based provider, here the process environment overlaid
        # with the stack's own URL (never written back to os.environ).
        secret_source = {**os.environ, "DATABASE_URL": self.database_url}
        self.metrics.start()
        self._ensure_dead_letter_subscriptions()
        self.instances = [
            FunctionInstance(
                spec,
                i,
                self.pulsar_url,
                FunctionStats(
                    self.metrics,
                    tenant=spec.tenant,
                    namespace=spec.namespace,
                    name=spec.name,
                    instance_id=i,
                    cluster=self._options.cluster,
                ),
                options=self._options,
                database_url=self.database_url,
                secret_source=secret_source,
                on_consumed=self.metrics.event_consumed,
                on_published=self.metrics.event_published,
                event_type_of_topic=_event_type_of_topic,
            )
            for spec in self.specs
            for i in range(spec.parallelism)
        ]
        try:
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(lambda instance: instance.start(), self.instances))
        except Exception:
            self.stop()
            raise
        health = EventsHealth(
            thresholds=HealthThresholds(
                max_consumer_lag=self.deployment.health.max_consumer_lag,
                max_error_rate=self.deployment.health.max_error_rate,
                max_dead_letter_queue_size=self.deployment.health.max_dead_letter_queue_size,
            ),
            connection_check=self.broker_reachable,
            backlog=self._backlog_source(),
            inputs={(t, s.subscription) for s in self.specs for t in s.inputs},
            dead_letters={(s.dead_letter_topic, DLQ_SUBSCRIPTION) for s in self.specs},
            metrics=self.metrics,
        )
        self.server = ObservabilityServer(
            self.metrics, health, ready_probe=self.ready, port=self._http_port
        )
        self.server.start()
        self.started_in_s = time.perf_counter() - began
        log.info("%d function instance(s) running", len(self.instances))

    def stop(self) -> None:
        """Stop every instance (each finishes its message in hand), then the server."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda instance: instance.stop(), self.instances))
        if self.server is not None:
            self.server.stop()
        self.metrics.stop()

    # -- probes ------------------------------------------------------------------------------

    def broker_reachable(self) -> bool:
        parsed = urlparse(self.pulsar_url)
        try:
            with socket.create_connection(
                (parsed.hostname or "127.0.0.1", parsed.port or 6650), timeout=1
            ):
                return True
        except OSError:
            return False

    def ready(self) -> bool:
        if not all(i.subscribed.is_set() for i in self.instances):
            return False
        try:
            conn = psycopg2.connect(self.database_url, connect_timeout=2)
        except psycopg2.Error:
            return False
        conn.close()
        return self.broker_reachable()

    @property
    def metrics_url(self) -> str:
        assert self.server is not None
        return f"{self.server.url}/metrics"

    @property
    def health_url(self) -> str:
        assert self.server is not None
        return f"{self.server.url}/health/events"

    # -- helpers -----------------------------------------------------------------------------

    def _ensure_dead_letter_subscriptions(self) -> None:
        client = new_client(self.pulsar_url)
        try:
            ensure_subscriptions(client, {s.dead_letter_topic for s in self.specs})
        finally:
            client.close()

    def _backlog_source(self) -> BacklogSource | None:
        if self._broker_metrics_url:
            return LiteMetricsBacklog(self._broker_metrics_url)
        if self._admin_url:
            topics = sorted({t for s in self.specs for t in (*s.inputs, s.dead_letter_topic)})
            return AdminStatsBacklog(self._admin_url, topics, token=self._admin_token)
        return None


def _event_type_of_topic(topic: str) -> str:
    spec = REGISTRY.for_topic(topic)
    if spec is not None:
        return spec.type
    return "dead-letter" if topic.endswith("/dead-letters") else topic
