"""Pulsar's function metrics (names, labels, 1-minute window), hexa's counters, EventMetrics."""

from __future__ import annotations

import threading
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from hexa.runtime.metrics import (
    EXCEPTION_REPORTS_PER_WINDOW,
    FUNCTION_LABELS,
    FunctionStats,
    Metrics,
)
from tests.conditions import wait_for

PULSAR_LABELS = {
    "tenant": "hexabuilders",
    "namespace": "hexabuilders/onboarding",
    "name": "contract-signed",
    "instance_id": "1",
    "cluster": "local",
    "fqfn": "hexabuilders/onboarding/contract-signed",
}


def make_stats(metrics: Metrics, instance_id: int = 1) -> FunctionStats:
    return FunctionStats(
        metrics,
        tenant="hexabuilders",
        namespace="onboarding",
        name="contract-signed",
        instance_id=instance_id,
    )


def value(metrics: Metrics, sample: str, /, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(sample, labels)


def pulsar(metrics: Metrics, sample: str, /, **extra: str) -> float | None:
    """A sample of instance 1's series."""
    return value(metrics, sample, **PULSAR_LABELS, **extra)


def exposed(metrics: Metrics) -> dict[str, list[dict[str, str]]]:
    """Sample name -> label sets, as a scraper parses the text exposition."""
    samples: dict[str, list[dict[str, str]]] = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(sample.labels)
    return samples


def test_pulsar_series_have_pulsar_names_and_labels_in_order() -> None:
    metrics = Metrics()
    stats = make_stats(metrics)
    stats.incr_received()
    stats.incr_processed(4.0)
    stats.incr_user_exception(ValueError("boom"))
    stats.incr_system_exception(OSError("send failed"))
    stats.set_last_invocation(1_700_000_000_123)
    stats.record_user_metric("hexa_handle_ms", 3.5)

    # Declared in Pulsar's order; the distinct values below prove each lands on its name.
    assert FUNCTION_LABELS == ("tenant", "namespace", "name", "instance_id", "cluster", "fqfn")
    samples = exposed(metrics)
    for name in (
        "pulsar_function_received_total",
        "pulsar_function_processed_successfully_total",
        "pulsar_function_user_exceptions_total",
        "pulsar_function_system_exceptions_total",
        "pulsar_function_received_1min_total",
        "pulsar_function_processed_successfully_1min_total",
        "pulsar_function_user_exceptions_1min_total",
        "pulsar_function_system_exceptions_1min_total",
        "pulsar_function_process_latency_ms_count",
        "pulsar_function_process_latency_ms_sum",
        "pulsar_function_process_latency_ms_1min_count",
        "pulsar_function_process_latency_ms_1min_sum",
        "pulsar_function_last_invocation",
    ):
        assert samples[name] == [PULSAR_LABELS], name
    assert samples["pulsar_function_user_exception"] == [{**PULSAR_LABELS, "error": "boom"}]
    assert samples["pulsar_function_system_exception"] == [
        {**PULSAR_LABELS, "error": "send failed"}
    ]
    assert samples["pulsar_function_user_metric_sum"] == [
        {**PULSAR_LABELS, "metric": "hexa_handle_ms"}
    ]
    # The older generation's names must not appear: dashboards match one or the other.
    assert not any("_total_1min" in name for name in samples)

    assert pulsar(metrics, "pulsar_function_received_total") == 1
    assert pulsar(metrics, "pulsar_function_process_latency_ms_sum") == 4.0
    assert pulsar(metrics, "pulsar_function_last_invocation") == 1_700_000_000_123
    assert pulsar(metrics, "pulsar_function_user_exception", error="boom") == 1
    assert pulsar(metrics, "pulsar_function_user_metric_sum", metric="hexa_handle_ms") == 3.5


def test_series_exist_at_zero_before_the_first_message() -> None:
    metrics = Metrics()
    make_stats(metrics)
    assert pulsar(metrics, "pulsar_function_received_total") == 0
    assert pulsar(metrics, "pulsar_function_system_exceptions_1min_total") == 0
    assert pulsar(metrics, "pulsar_function_process_latency_ms_1min_count") == 0
    assert value(metrics, "hexa_dedupe_hits_total", function="contract-signed") == 0
    assert value(metrics, "hexa_retries_total", function="contract-signed") == 0


def test_namespace_with_the_tenant_is_refused() -> None:
    with pytest.raises(ValueError, match="tenant"):
        FunctionStats(Metrics(), tenant="t", namespace="t/ns", name="f", instance_id=0)


def test_status_reports_like_the_admin_api() -> None:
    metrics = Metrics()
    stats = make_stats(metrics)
    assert stats.status()["averageLatency"] == 0.0
    for latency in (10.0, 30.0):
        stats.incr_received()
        stats.incr_processed(latency)
    stats.incr_received()
    stats.incr_user_exception(RuntimeError("partner contact@techsolutions.com unknown"))
    stats.set_last_invocation(1_700_000_000_500.0)

    status = stats.status()
    assert status["numReceived"] == 3
    assert status["numSuccessfullyProcessed"] == 2
    assert status["numUserExceptions"] == 1
    assert status["numSystemExceptions"] == 0
    assert status["averageLatency"] == 20.0
    assert status["lastInvocationTime"] == 1_700_000_000_500
    [latest] = status["latestUserExceptions"]
    assert "RuntimeError: partner c*****@techsolutions.com unknown" in latest["exceptionString"]
    assert "contact@" not in latest["exceptionString"]
    assert abs(latest["timestampMs"] - time.time() * 1000) < 60_000
    assert status["latestSystemExceptions"] == []


def test_status_keeps_the_ten_latest_exceptions() -> None:
    stats = make_stats(Metrics())
    for index in range(12):
        stats.incr_system_exception(OSError(f"failure {index}"))
    latest = stats.status()["latestSystemExceptions"]
    assert len(latest) == 10
    assert "failure 2" in latest[0]["exceptionString"]
    assert "failure 11" in latest[-1]["exceptionString"]


def test_reset_1min_zeroes_the_window_and_keeps_the_totals() -> None:
    metrics = Metrics()
    stats = make_stats(metrics)
    stats.incr_received()
    stats.incr_processed(5.0)
    stats.incr_user_exception(ValueError("x"))
    stats.incr_system_exception(OSError("y"))

    metrics.reset_1min()

    for name in (
        "pulsar_function_received_1min_total",
        "pulsar_function_processed_successfully_1min_total",
        "pulsar_function_user_exceptions_1min_total",
        "pulsar_function_system_exceptions_1min_total",
        "pulsar_function_process_latency_ms_1min_count",
        "pulsar_function_process_latency_ms_1min_sum",
    ):
        assert pulsar(metrics, name) == 0, name  # still exposed, at 0
    assert pulsar(metrics, "pulsar_function_received_total") == 1
    assert pulsar(metrics, "pulsar_function_process_latency_ms_count") == 1
    assert pulsar(metrics, "pulsar_function_user_exceptions_total") == 1

    stats.incr_processed(7.0)
    assert pulsar(metrics, "pulsar_function_process_latency_ms_1min_sum") == 7.0


def test_the_timer_closes_the_window_periodically() -> None:
    metrics = Metrics(window_seconds=0.2)
    stats = make_stats(metrics)
    metrics.start()
    try:
        metrics.start()  # idempotent: still one timer
        assert sum(t.name == "metrics-1min-window" for t in threading.enumerate()) == 1
        for _ in range(2):  # more than one window: the timer keeps running
            stats.incr_received()
            wait_for(
                lambda: pulsar(metrics, "pulsar_function_received_1min_total") == 0,
                5,
                "reset of the 1-minute counter",
            )
        assert pulsar(metrics, "pulsar_function_received_total") == 2
    finally:
        metrics.stop()
    assert not any(t.name == "metrics-1min-window" for t in threading.enumerate())
    metrics.stop()  # idempotent


def test_exception_gauges_are_limited_to_five_distinct_texts_per_window() -> None:
    metrics = Metrics()
    stats = make_stats(metrics)
    for index in range(7):
        stats.incr_user_exception(ValueError(f"error {index}"))
    stats.incr_user_exception(ValueError("error 0"))  # already reported: set again, no slot
    reported = {s["error"] for s in exposed(metrics)["pulsar_function_user_exception"]}
    assert reported == {f"error {index}" for index in range(5)}
    assert pulsar(metrics, "pulsar_function_user_exceptions_total") == 8

    # System exceptions have their own allowance.
    stats.incr_system_exception(OSError("system"))
    assert pulsar(metrics, "pulsar_function_system_exception", error="system") == 1

    metrics.reset_1min()
    stats.incr_user_exception(ValueError("error 6"))
    assert pulsar(metrics, "pulsar_function_user_exception", error="error 6") == 1


def test_a_repeated_exception_does_not_hide_a_new_one() -> None:
    metrics = Metrics()
    stats = make_stats(metrics)
    for _ in range(EXCEPTION_REPORTS_PER_WINDOW + 3):
        stats.incr_user_exception(TimeoutError("database down"))
    stats.incr_user_exception(ValueError("bad data"))
    reported = {s["error"] for s in exposed(metrics)["pulsar_function_user_exception"]}
    assert reported == {"database down", "bad data"}


def test_exception_labels_mask_email_addresses() -> None:
    metrics = Metrics()
    make_stats(metrics).incr_user_exception(ValueError("no partner ana.ruiz@example.org"))
    [labels] = exposed(metrics)["pulsar_function_user_exception"]
    assert labels["error"] == "no partner a*****@example.org"


def test_user_metrics_feed_hexa_counters_per_function() -> None:
    metrics = Metrics()
    first, second = make_stats(metrics, 0), make_stats(metrics, 1)
    first.record_user_metric("hexa_dedupe_hit", 1)
    second.record_user_metric("hexa_dedupe_hit", 1)
    first.record_user_metric("hexa_retry", 1)
    first.record_user_metric("hexa_dead_letter_invalid_data", 1)
    first.record_user_metric("hexa_dead_letter_invalid_data", 1)
    second.record_user_metric("hexa_dead_letter_unknown_type", 1)
    first.record_user_metric("hexa_handle_ms", 12.0)
    first.record_user_metric("hexa_dead_letter_", 1)  # no reason: summary only

    function = "contract-signed"
    assert value(metrics, "hexa_dedupe_hits_total", function=function) == 2
    assert value(metrics, "hexa_retries_total", function=function) == 1
    assert value(metrics, "hexa_dead_letters_total", function=function, reason="invalid_data") == 2
    assert value(metrics, "hexa_dead_letters_total", function=function, reason="unknown_type") == 1
    reasons = {s["reason"] for s in exposed(metrics)["hexa_dead_letters_total"]}
    assert reasons == {"invalid_data", "unknown_type"}
    # Every call also lands in Pulsar's summary, per instance.
    assert pulsar(metrics, "pulsar_function_user_metric_count", metric="hexa_dedupe_hit") == 1
    assert (
        pulsar(metrics, "pulsar_function_user_metric_count", metric="hexa_dead_letter_invalid_data")
        is None  # recorded by instance 0, and PULSAR_LABELS are instance 1's
    )
    assert (
        value(
            metrics,
            "pulsar_function_user_metric_count",
            **{**PULSAR_LABELS, "instance_id": "0"},
            metric="hexa_dead_letter_invalid_data",
        )
        == 2
    )


def test_error_rate_over_the_current_window() -> None:
    metrics = Metrics()
    assert metrics.error_rate_1min() == 0.0  # nothing received
    first, second = make_stats(metrics, 0), make_stats(metrics, 1)
    for _ in range(6):
        first.incr_received()
    for _ in range(4):
        second.incr_received()
    first.incr_user_exception(ValueError("a"))
    second.incr_system_exception(OSError("b"))
    assert metrics.error_rate_1min() == pytest.approx(0.2)

    metrics.reset_1min()
    assert metrics.error_rate_1min() == 0.0
    first.incr_received()
    first.incr_user_exception(ValueError("a"))
    first.incr_system_exception(OSError("b"))
    assert metrics.error_rate_1min() == 1.0  # capped


def test_event_metrics() -> None:
    metrics = Metrics()
    metrics.event_consumed("contract-signed", "com.hexabuilders.onboarding.A", 0.02, False)
    metrics.event_consumed("contract-signed", "com.hexabuilders.onboarding.A", 0.3, True)
    metrics.event_consumed("contract-signed", "com.hexabuilders.onboarding.B", 0.01, False)
    metrics.event_published("contract-signed", "com.hexabuilders.recruitment.C", 0.004, False)
    metrics.event_published("contract-signed", "com.hexabuilders.recruitment.C", 1.5, True)

    f = {"function": "contract-signed"}
    assert value(metrics, "events_consumed_total", **f) == 3
    assert (
        value(metrics, "events_consumed_by_type_total", **f, type="com.hexabuilders.onboarding.A")
        == 2
    )
    assert value(metrics, "event_processing_errors_total", **f) == 1
    assert value(metrics, "event_processing_duration_seconds_count", **f) == 3
    assert value(metrics, "event_processing_duration_seconds_sum", **f) == pytest.approx(0.33)
    assert value(metrics, "event_processing_duration_seconds_bucket", **f, le="0.025") == 2
    assert value(metrics, "events_published_total", **f) == 2
    assert (
        value(metrics, "events_published_by_type_total", **f, type="com.hexabuilders.recruitment.C")
        == 2
    )
    assert value(metrics, "event_publish_errors_total", **f) == 1
    assert value(metrics, "event_publish_duration_seconds_bucket", **f, le="0.005") == 1
    assert value(metrics, "event_publish_duration_seconds_count", **f) == 2


def test_backlog_gauges_are_replaced_by_each_reading() -> None:
    metrics = Metrics()
    a, b = ("persistent://t/ns/a", "sub-a"), ("persistent://t/ns/b", "sub-b")
    metrics.set_backlog({a: 3, b: 0}, {"persistent://t/ns/dlq": 2})
    assert value(metrics, "consumer_lag", topic=a[0], subscription=a[1]) == 3
    assert value(metrics, "consumer_lag", topic=b[0], subscription=b[1]) == 0
    assert value(metrics, "dead_letter_queue_size", topic="persistent://t/ns/dlq") == 2

    metrics.set_backlog({a: 1}, {})
    assert value(metrics, "consumer_lag", topic=a[0], subscription=a[1]) == 1
    assert value(metrics, "consumer_lag", topic=b[0], subscription=b[1]) is None
    assert value(metrics, "dead_letter_queue_size", topic="persistent://t/ns/dlq") is None

    metrics.clear_backlog()
    assert "consumer_lag" not in exposed(metrics)


def test_two_hosts_in_one_process_do_not_collide() -> None:
    first, second = Metrics(), Metrics()
    make_stats(first).incr_received()
    make_stats(second)
    assert pulsar(first, "pulsar_function_received_total") == 1
    assert pulsar(second, "pulsar_function_received_total") == 0


def test_invalid_window_is_refused() -> None:
    with pytest.raises(ValueError):
        Metrics(window_seconds=0)
