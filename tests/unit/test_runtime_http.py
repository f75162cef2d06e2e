"""The observability server over real HTTP on a free loopback port."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from hexa.runtime.backlog import BacklogError, BacklogSource
from hexa.runtime.health import EventsHealth
from hexa.runtime.http import ObservabilityServer
from hexa.runtime.metrics import FunctionStats, Metrics

INPUT = ("persistent://hexabuilders/onboarding/contracts", "partner-setup")


class Backlog(BacklogSource):
    def __init__(self) -> None:
        self.lag = 3
        self.failing = False

    def backlogs(self) -> dict[tuple[str, str], int]:
        if self.failing:
            raise BacklogError("broker metrics unreachable")
        return {INPUT: self.lag}


class Probes:
    connected = True
    ready = True


@pytest.fixture
def setup() -> Iterator[tuple[ObservabilityServer, Metrics, Backlog, Probes]]:
    metrics, backlog, probes = Metrics(), Backlog(), Probes()
    health = EventsHealth(
        metrics=metrics,
        backlog=backlog,
        connection_check=lambda: probes.connected,
        inputs=[INPUT],
        dead_letters=[],
        cache_seconds=0,  # every request reads afresh
    )
    server = ObservabilityServer(metrics, health, ready_probe=lambda: probes.ready)
    server.start()
    yield server, metrics, backlog, probes
    server.stop()


def get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers["Content-Type"], error.read()


def get_json(url: str) -> tuple[int, Any]:
    status, content_type, body = get(url)
    assert content_type == "application/json"
    return status, json.loads(body)


def test_metrics_are_served_as_prometheus_text(setup: Any) -> None:
    server, metrics, _, _ = setup
    stats = FunctionStats(metrics, tenant="t", namespace="ns", name="f", instance_id=0)
    stats.incr_received()
    status, content_type, body = get(f"{server.url}/metrics")
    assert status == 200
    assert content_type == "text/plain; version=0.0.4; charset=utf-8"
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }
    labels = (
        ("cluster", "local"),
        ("fqfn", "t/ns/f"),
        ("instance_id", "0"),
        ("name", "f"),
        ("namespace", "t/ns"),
        ("tenant", "t"),
    )
    assert samples[("pulsar_function_received_total", labels)] == 1
    # The scrape refreshed the backlog gauge from the broker.
    lag_labels = (("subscription", INPUT[1]), ("topic", INPUT[0]))
    assert samples[("consumer_lag", lag_labels)] == 3


def test_health_events_follows_the_checks(setup: Any) -> None:
    server, _, backlog, probes = setup
    status, body = get_json(f"{server.url}/health/events")
    assert status == 200 and body["status"] == "healthy" and body["consumer_lag"] == 3

    backlog.lag = 5000
    status, body = get_json(f"{server.url}/health/events")
    assert status == 503 and body["checks"]["consumer_lag"]["ok"] is False

    backlog.lag, probes.connected = 0, False
    status, body = get_json(f"{server.url}/health/events")
    assert status == 503 and body["pulsar_connection"] is False


def test_an_unreadable_broker_is_a_503_and_the_server_keeps_serving(setup: Any) -> None:
    server, _, backlog, _ = setup
    backlog.failing = True
    status, body = get_json(f"{server.url}/health/events")
    assert status == 503
    assert "broker metrics unreachable" in body["checks"]["consumer_lag"]["error"]
    status, _, text = get(f"{server.url}/metrics")
    assert status == 200 and b"consumer_lag{" not in text
    backlog.failing = False
    assert get_json(f"{server.url}/health/events")[0] == 200


def test_live_ready_and_unknown_paths(setup: Any) -> None:
    server, _, _, probes = setup
    assert get_json(f"{server.url}/health/live") == (200, {"status": "alive"})
    assert get_json(f"{server.url}/health/ready") == (200, {"status": "ready"})
    probes.ready = False
    assert get_json(f"{server.url}/health/ready?verbose=1") == (503, {"status": "not ready"})
    assert get_json(f"{server.url}/nope")[0] == 404
    assert get_json(f"{server.url}/metrics/extra")[0] == 404


def test_binds_loopback_and_stop_is_idempotent() -> None:
    metrics = Metrics()
    health = EventsHealth(
        metrics=metrics, backlog=None, connection_check=lambda: True, inputs=[], dead_letters=[]
    )
    server = ObservabilityServer(metrics, health, ready_probe=lambda: True)
    with pytest.raises(RuntimeError):
        _ = server.url  # no port before start
    server.start()
    host, port = server.url.removeprefix("http://").split(":")
    assert host == "127.0.0.1" and int(port) > 0
    assert get(f"{server.url}/health/live")[0] == 200

    server.stop()
    server.stop()
    with pytest.raises(OSError), socket.create_connection((host, int(port)), timeout=1):
        pass  # nothing listens any more
    with pytest.raises(RuntimeError):
        server.start()


def test_refuses_a_non_loopback_address() -> None:
    metrics = Metrics()
    health = EventsHealth(
        metrics=metrics, backlog=None, connection_check=lambda: True, inputs=[], dead_letters=[]
    )
    with pytest.raises(ValueError, match="loopback"):
        ObservabilityServer(metrics, health, ready_probe=lambda: True, host="0.0.0.0")
