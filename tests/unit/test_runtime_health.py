"""``/health/events``: thresholds, 200/503, broker and backlog failures, caching; live/ready."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from hexa.runtime.backlog import (
    AdminStatsBacklog,
    BacklogError,
    BacklogSource,
    LiteMetricsBacklog,
)
from hexa.runtime.health import EventsHealth, HealthThresholds, live, ready
from hexa.runtime.metrics import FunctionStats, Metrics

INPUT_A = ("persistent://hexabuilders/onboarding/contracts", "partner-setup")
INPUT_B = ("persistent://hexabuilders/recruitment/jobs", "matcher")
DLQ_A = ("persistent://hexabuilders/onboarding/dead-letters", "dlq")
DLQ_B = ("persistent://hexabuilders/recruitment/dead-letters", "dlq")


class FakeBacklog(BacklogSource):
    def __init__(self, backlogs: dict[tuple[str, str], int] | None = None) -> None:
        self.result: dict[tuple[str, str], int] | Exception = backlogs or {}
        self.calls = 0

    def backlogs(self) -> dict[tuple[str, str], int]:
        self.calls += 1
        if isinstance(self.result, Exception):
            raise self.result
        return dict(self.result)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_health(
    backlog: BacklogSource | None,
    *,
    metrics: Metrics | None = None,
    connected: Callable[[], bool] = lambda: True,
    thresholds: HealthThresholds | None = None,
    clock: Clock | None = None,
) -> EventsHealth:
    return EventsHealth(
        metrics=metrics or Metrics(),
        backlog=backlog,
        connection_check=connected,
        inputs={INPUT_A, INPUT_B},
        dead_letters={DLQ_A, DLQ_B},
        thresholds=thresholds,
        clock=clock or Clock(),
    )


def test_healthy_when_every_figure_is_within_its_threshold() -> None:
    status, body = make_health(FakeBacklog({INPUT_A: 10, INPUT_B: 1000})).events()
    assert status == 200
    assert body == {
        "status": "healthy",
        "pulsar_connection": True,
        "consumer_lag": 1000,  # the worst subscription, at the threshold
        "error_rate": 0.0,
        "dead_letter_queue_size": 0,
        "checks": {
            "pulsar_connection": {"value": True, "threshold": True, "ok": True},
            "consumer_lag": {"value": 1000, "threshold": 1000, "ok": True},
            "dead_letter_queue_size": {"value": 0, "threshold": 0, "ok": True},
            "error_rate": {"value": 0.0, "threshold": 0.1, "ok": True},
        },
    }


def test_consumer_lag_over_the_threshold_is_unhealthy() -> None:
    status, body = make_health(FakeBacklog({INPUT_A: 1001, INPUT_B: 3})).events()
    assert status == 503
    assert body["status"] == "unhealthy"
    assert body["consumer_lag"] == 1001
    assert body["checks"]["consumer_lag"] == {"value": 1001, "threshold": 1000, "ok": False}
    assert body["checks"]["error_rate"]["ok"] and body["checks"]["pulsar_connection"]["ok"]


def test_dead_letters_count_once_per_topic_and_add_up_across_topics() -> None:
    # Two subscriptions on one dead-letter topic hold the same dead letters.
    other_subscription = (DLQ_A[0], "hexa-dlq-cli")
    backlog = FakeBacklog({DLQ_A: 2, other_subscription: 2, DLQ_B: 1, INPUT_A: 0})
    health = EventsHealth(
        metrics=Metrics(),
        backlog=backlog,
        connection_check=lambda: True,
        inputs=[INPUT_A],
        dead_letters=[DLQ_A, other_subscription, DLQ_B],
        thresholds=HealthThresholds(max_dead_letter_queue_size=3),
        cache_seconds=0,
    )
    status, body = health.events()
    assert body["dead_letter_queue_size"] == 3
    assert status == 200

    backlog.result = {DLQ_A: 1, other_subscription: 4}
    status, body = health.events()
    assert status == 503
    assert body["checks"]["dead_letter_queue_size"] == {"value": 4, "threshold": 3, "ok": False}


def test_the_first_dead_letter_fails_the_default_threshold() -> None:
    status, body = make_health(FakeBacklog({DLQ_B: 1})).events()
    assert status == 503
    assert not body["checks"]["dead_letter_queue_size"]["ok"]


def test_error_rate_over_the_threshold_is_unhealthy() -> None:
    metrics = Metrics()
    stats = FunctionStats(metrics, tenant="t", namespace="ns", name="f", instance_id=0)
    for _ in range(10):
        stats.incr_received()
    stats.incr_user_exception(ValueError("a"))
    health = make_health(FakeBacklog(), metrics=metrics)
    status, body = health.events()
    assert status == 200  # 0.1 is at the threshold
    assert body["error_rate"] == pytest.approx(0.1)

    stats.incr_system_exception(OSError("b"))
    status, body = health.events()
    assert status == 503
    assert body["error_rate"] == pytest.approx(0.2)
    assert body["checks"]["error_rate"]["ok"] is False

    metrics.reset_1min()  # a new window forgets the failures
    assert health.events().status_code == 200


def test_broker_down_is_unhealthy() -> None:
    status, body = make_health(FakeBacklog(), connected=lambda: False).events()
    assert status == 503
    assert body["pulsar_connection"] is False
    assert body["checks"]["pulsar_connection"] == {"value": False, "threshold": True, "ok": False}


def test_a_failing_connection_check_is_a_broker_down_not_a_crash() -> None:
    def explode() -> bool:
        raise OSError("no route to host")

    status, body = make_health(FakeBacklog(), connected=explode).events()
    assert status == 503
    assert body["pulsar_connection"] is False


@pytest.mark.parametrize(
    "error", [BacklogError("cannot read http://127.0.0.1:1/metrics"), RuntimeError("bug")]
)
def test_a_backlog_source_failure_is_unhealthy_not_a_crash(error: Exception) -> None:
    metrics = Metrics()
    metrics.set_backlog({INPUT_A: 5}, {})
    backlog = FakeBacklog()
    backlog.result = error
    status, body = make_health(backlog, metrics=metrics).events()
    assert status == 503
    assert body["consumer_lag"] is None and body["dead_letter_queue_size"] is None
    for name in ("consumer_lag", "dead_letter_queue_size"):
        check = body["checks"][name]
        assert check["ok"] is False and check["value"] is None
        assert str(error) in check["error"]
    # A stale lag would look like a current one.
    assert (
        metrics.registry.get_sample_value(
            "consumer_lag", dict(zip(("topic", "subscription"), INPUT_A, strict=True))
        )
        is None
    )


def test_without_a_backlog_source_lag_and_queue_are_not_checked() -> None:
    status, body = make_health(None).events()
    assert status == 200
    assert body["consumer_lag"] is None and body["dead_letter_queue_size"] is None
    assert set(body["checks"]) == {"pulsar_connection", "error_rate"}


def test_short_topic_names_match_the_brokers_full_names() -> None:
    health = EventsHealth(
        metrics=Metrics(),
        backlog=FakeBacklog({("persistent://public/default/orders", "s"): 2000}),
        connection_check=lambda: True,
        inputs=[("orders", "s")],
        dead_letters=[],
    )
    assert health.events().body["consumer_lag"] == 2000


def test_a_reading_is_cached_for_a_second() -> None:
    backlog, clock = FakeBacklog({INPUT_A: 1}), Clock()
    probes: list[bool] = []

    def connected() -> bool:
        probes.append(True)
        return True

    health = make_health(backlog, clock=clock, connected=connected)
    health.events()
    clock.now += 0.9
    health.events()
    health.update_backlog_gauges()
    assert backlog.calls == 1 and len(probes) == 1

    clock.now += 0.2
    backlog.result = BacklogError("gone")
    assert health.events().status_code == 503
    assert health.events().status_code == 503  # the failure is cached too
    assert backlog.calls == 2 and len(probes) == 2


def test_concurrent_requests_share_one_reading() -> None:
    release = threading.Event()

    class SlowBacklog(FakeBacklog):
        def backlogs(self) -> dict[tuple[str, str], int]:
            release.wait(10)
            return super().backlogs()

    backlog = SlowBacklog()
    health = make_health(backlog)
    results: list[int] = []
    threads = [
        threading.Thread(target=lambda: results.append(health.events().status_code))
        for _ in range(10)
    ]
    for thread in threads:
        thread.start()
    release.set()
    for thread in threads:
        thread.join(10)
    assert results == [200] * 10
    assert backlog.calls == 1


def test_a_reading_updates_the_backlog_gauges() -> None:
    metrics = Metrics()
    health = make_health(FakeBacklog({INPUT_A: 7, DLQ_B: 2}), metrics=metrics)
    health.update_backlog_gauges()
    get = metrics.registry.get_sample_value
    assert get("consumer_lag", {"topic": INPUT_A[0], "subscription": INPUT_A[1]}) == 7
    assert get("consumer_lag", {"topic": INPUT_B[0], "subscription": INPUT_B[1]}) == 0
    assert get("dead_letter_queue_size", {"topic": DLQ_A[0]}) == 0
    assert get("dead_letter_queue_size", {"topic": DLQ_B[0]}) == 2


@pytest.mark.parametrize(
    "kwargs",
    [{"max_consumer_lag": -1}, {"max_dead_letter_queue_size": -1}, {"max_error_rate": 1.5}],
)
def test_invalid_thresholds_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        HealthThresholds(**kwargs)  # type: ignore[arg-type]


def test_live_and_ready() -> None:
    assert live() == (200, {"status": "alive"})
    assert ready(lambda: True) == (200, {"status": "ready"})
    assert ready(lambda: False) == (503, {"status": "not ready"})

    def explode() -> bool:
        raise ConnectionError("database down")

    assert ready(explode).status_code == 503


# -- the two backlog backends against a fake broker HTTP endpoint ----------------------------


class FakeBroker:
    """Answers GETs from a path -> (status, body) map and records what it was asked."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, bytes]] = {}
        self.requests: list[tuple[str, str | None]] = []
        routes, requests = self.routes, self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                requests.append((self.path, self.headers.get("Authorization")))
                status, body = routes.get(self.path, (404, b"{}"))
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def fake_broker() -> Iterator[FakeBroker]:
    broker = FakeBroker()
    yield broker
    broker.close()


def back_log(namespace: str, partition: int, subscription: str, topic: str, value: int) -> str:
    """One line as pulsar-lite writes it: the local topic name, its namespace apart."""
    return (
        f'pulsar_subscription_back_log{{cluster="pulsar-lite",namespace="{namespace}",'
        f'partition="{partition}",subscription="{subscription}",topic="{topic}"}} {value}'
    )


LITE_TEXT = "\n".join(
    [
        "# HELP pulsar_subscription_back_log Unacknowledged stored entries",
        "# TYPE pulsar_subscription_back_log gauge",
        back_log("hexabuilders/onboarding", -1, "partner-setup", "contracts", 7),
        back_log("public/default", 0, "s", "orders", 2),
        back_log("public/default", 1, "s", "orders", 3),
        "# TYPE pulsar_broker_msg_backlog gauge",
        'pulsar_broker_msg_backlog{cluster="pulsar-lite"} 12',
        "",
    ]
).encode()


def test_lite_backlog_reads_full_topic_names(fake_broker: FakeBroker) -> None:
    fake_broker.routes["/metrics"] = (200, LITE_TEXT)
    assert LiteMetricsBacklog(f"{fake_broker.url}/metrics").backlogs() == {
        INPUT_A: 7,
        ("persistent://public/default/orders", "s"): 5,  # partitions add up
    }


@pytest.mark.parametrize("route", [(500, b"oops"), (200, b"not { prometheus")])
def test_lite_backlog_errors_are_backlog_errors(
    fake_broker: FakeBroker, route: tuple[int, bytes]
) -> None:
    fake_broker.routes["/metrics"] = route
    with pytest.raises(BacklogError):
        LiteMetricsBacklog(f"{fake_broker.url}/metrics").backlogs()


def test_admin_stats_backlog(fake_broker: FakeBroker) -> None:
    stats = {
        "msgRateIn": 0.0,
        "subscriptions": {"partner-setup": {"msgBacklog": 4}, "audit": {"msgBacklog": 0}},
    }
    fake_broker.routes["/admin/v2/persistent/hexabuilders/onboarding/contracts/stats"] = (
        200,
        json.dumps(stats).encode(),
    )
    source = AdminStatsBacklog(
        f"{fake_broker.url}/",
        [INPUT_A[0], "hexabuilders/onboarding/dead-letters"],  # the second is unknown: 404
        token="s3cret",
    )
    assert source.backlogs() == {INPUT_A: 4, (INPUT_A[0], "audit"): 0}
    assert sorted(fake_broker.requests) == [
        ("/admin/v2/persistent/hexabuilders/onboarding/contracts/stats", "Bearer s3cret"),
        ("/admin/v2/persistent/hexabuilders/onboarding/dead-letters/stats", "Bearer s3cret"),
    ]


@pytest.mark.parametrize(
    "route", [(401, b'{"reason": "unauthorized"}'), (200, b"[]"), (200, b"<html>")]
)
def test_admin_stats_errors_are_backlog_errors(
    fake_broker: FakeBroker, route: tuple[int, bytes]
) -> None:
    fake_broker.routes["/admin/v2/persistent/t/ns/x/stats"] = route
    source = AdminStatsBacklog(fake_broker.url, ["persistent://t/ns/x"])
    with pytest.raises(BacklogError):
        source.backlogs()


def test_an_unreachable_admin_api_makes_the_check_unhealthy(fake_broker: FakeBroker) -> None:
    url = fake_broker.url
    fake_broker.close()  # nothing listens there any more
    health = EventsHealth(
        metrics=Metrics(),
        backlog=AdminStatsBacklog(url, [INPUT_A[0]], timeout=1),
        connection_check=lambda: True,
        inputs=[INPUT_A],
        dead_letters=[],
    )
    status, body = health.events()
    assert status == 503
    assert "BacklogError" in body["checks"]["consumer_lag"]["error"]


def test_admin_stats_refuses_a_topic_without_namespace() -> None:
    with pytest.raises(ValueError, match="tenant/namespace/topic"):
        AdminStatsBacklog("http://127.0.0.1:1", ["persistent://only-tenant/topic"])
