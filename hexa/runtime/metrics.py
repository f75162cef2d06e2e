"""Prometheus metrics of the local host: Pulsar's function metrics plus the spec's EventMetrics.

Dashboards and alerts are written once against a real Pulsar worker, so every function
instance exposes the series of Pulsar's Python runtime (newer ``function_stats.py``, contract
doc section 4.2) with the same names and labels, and the same 60 s tumbling ``_1min``
window. Next to them: the spec's ``EventMetrics`` (what the host consumed and published, per
function and event type), consumer lag and dead-letter backlog, and counters derived from
the user metrics ``shared.handler`` records, which are much easier to alert on than the
``metric`` label of one shared summary.

All families live in one private registry per `Metrics`, not prometheus_client's global one,
so that several hosts (or tests) in one process do not collide.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections import deque
from collections.abc import Mapping
from typing import TypedDict

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Summary
from prometheus_client.exposition import generate_latest

from hexa.runtime.logs import mask_emails

_log = logging.getLogger(__name__)

# Order matters: it is the order Pulsar declares them in, and the order `.labels()` takes.
FUNCTION_LABELS = ("tenant", "namespace", "name", "instance_id", "cluster", "fqfn")
WINDOW_SECONDS = 60.0
# Pulsar reports at most this many exceptions per minute as labelled gauges, because each
# distinct message is a new series and an exception storm would blow up the scrape.
EXCEPTION_REPORTS_PER_WINDOW = 5
# The admin API's instance status keeps this many latest exceptions.
LATEST_EXCEPTIONS = 10

# User metrics recorded by shared.handler that also get a dedicated counter.
DEDUPE_HIT = "hexa_dedupe_hit"
RETRY = "hexa_retry"
DEAD_LETTER_PREFIX = "hexa_dead_letter_"


class ExceptionInformation(TypedDict):
    """One entry of ``latestUserExceptions`` / ``latestSystemExceptions`` in the admin API."""

    exceptionString: str
    timestampMs: int


class InstanceStatus(TypedDict):
    """The metric part of the admin API's instance status, with the admin API's key names."""

    numReceived: int
    numSuccessfullyProcessed: int
    numUserExceptions: int
    latestUserExceptions: list[ExceptionInformation]
    numSystemExceptions: int
    latestSystemExceptions: list[ExceptionInformation]
    averageLatency: float
    lastInvocationTime: int


def _sample(metric: Counter | Gauge | Summary, sample_name: str) -> float:
    """The value of one sample of a labelled child, through the public collect() API."""
    for family in metric.collect():
        for sample in family.samples:
            if sample.name == sample_name:
                return sample.value
    return 0.0


def _family_total(metric: Counter, sample_name: str) -> float:
    """The sum over every label set, e.g. the messages all instances received."""
    return sum(
        sample.value
        for family in metric.collect()
        for sample in family.samples
        if sample.name == sample_name
    )


class Metrics:
    """Every metric family of one host, its registry, and the 1-minute window timer.

    ``window_seconds`` is the length of the tumbling window behind the ``_1min`` series; only
    tests should change it.
    """

    def __init__(self, *, window_seconds: float = WINDOW_SECONDS) -> None:
        if window_seconds <= 0:
            raise ValueError("window_seconds must be positive")
        self._window_seconds = window_seconds
        self._registry = CollectorRegistry()
        registry = self._registry
        labels = FUNCTION_LABELS

        self._received = Counter(
            "pulsar_function_received_total",
            "Messages received from the input topics.",
            labels,
            registry=registry,
        )
        self._processed = Counter(
            "pulsar_function_processed_successfully_total",
            "Messages processed successfully.",
            labels,
            registry=registry,
        )
        self._user_exceptions = Counter(
            "pulsar_function_user_exceptions_total",
            "Exceptions raised by process().",
            labels,
            registry=registry,
        )
        self._system_exceptions = Counter(
            "pulsar_function_system_exceptions_total",
            "Runtime errors outside process(): send and publish failures and the like.",
            labels,
            registry=registry,
        )
        self._latency = Summary(
            "pulsar_function_process_latency_ms",
            "Wall time of successful process() calls, in milliseconds.",
            labels,
            registry=registry,
        )
        self._last_invocation = Gauge(
            "pulsar_function_last_invocation",
            "Start of the last process() call, epoch milliseconds.",
            labels,
            registry=registry,
        )
        self._received_1min = Counter(
            "pulsar_function_received_1min_total",
            "Messages received in the current 1-minute window.",
            labels,
            registry=registry,
        )
        self._processed_1min = Counter(
            "pulsar_function_processed_successfully_1min_total",
            "Messages processed successfully in the current 1-minute window.",
            labels,
            registry=registry,
        )
        self._user_exceptions_1min = Counter(
            "pulsar_function_user_exceptions_1min_total",
            "Exceptions raised by process() in the current 1-minute window.",
            labels,
            registry=registry,
        )
        self._system_exceptions_1min = Counter(
            "pulsar_function_system_exceptions_1min_total",
            "Runtime errors in the current 1-minute window.",
            labels,
            registry=registry,
        )
        self._latency_1min = Summary(
            "pulsar_function_process_latency_ms_1min",
            "Wall time of successful process() calls in the current 1-minute window, ms.",
            labels,
            registry=registry,
        )
        self._user_exception = Gauge(
            "pulsar_function_user_exception",
            "1 for each reported exception text raised by process().",
            (*labels, "error"),
            registry=registry,
        )
        self._system_exception = Gauge(
            "pulsar_function_system_exception",
            "1 for each reported runtime error text.",
            (*labels, "error"),
            registry=registry,
        )
        self._user_metric = Summary(
            "pulsar_function_user_metric",
            "Values passed to context.record_metric.",
            (*labels, "metric"),
            registry=registry,
        )

        self._dedupe_hits = Counter(
            "hexa_dedupe_hits_total",
            "Duplicate deliveries answered from the inbox without running the handler.",
            ("function",),
            registry=registry,
        )
        self._retries = Counter(
            "hexa_retries_total",
            "In-process retries after a transient error.",
            ("function",),
            registry=registry,
        )
        self._dead_letters = Counter(
            "hexa_dead_letters_total",
            "Messages sent to the dead-letter topic, by reason code.",
            ("function", "reason"),
            registry=registry,
        )

        self._consumed = Counter(
            "events_consumed_total", "Events consumed.", ("function",), registry=registry
        )
        self._consumed_by_type = Counter(
            "events_consumed_by_type_total",
            "Events consumed, by CloudEvents type.",
            ("function", "type"),
            registry=registry,
        )
        self._processing_duration = Histogram(
            "event_processing_duration_seconds",
            "Time to process one consumed event.",
            ("function",),
            registry=registry,
        )
        self._processing_errors = Counter(
            "event_processing_errors_total",
            "Consumed events whose processing failed.",
            ("function",),
            registry=registry,
        )
        self._published = Counter(
            "events_published_total", "Events published.", ("function",), registry=registry
        )
        self._published_by_type = Counter(
            "events_published_by_type_total",
            "Events published, by CloudEvents type.",
            ("function", "type"),
            registry=registry,
        )
        self._publish_duration = Histogram(
            "event_publish_duration_seconds",
            "Time from send to broker confirmation of one published event.",
            ("function",),
            registry=registry,
        )
        self._publish_errors = Counter(
            "event_publish_errors_total",
            "Publishes that failed.",
            ("function",),
            registry=registry,
        )
        self._consumer_lag = Gauge(
            "consumer_lag",
            "Messages not yet acknowledged on an input subscription.",
            ("topic", "subscription"),
            registry=registry,
        )
        self._dead_letter_queue_size = Gauge(
            "dead_letter_queue_size",
            "Messages waiting on a dead-letter topic.",
            ("topic",),
            registry=registry,
        )

        # Held by every 1-minute update and by the reset, so that a reset never splits one
        # event (e.g. counts its receipt in the old window and its latency in the new one)
        # and an observation is never lost on a series the reset is replacing.
        self._window_lock = threading.Lock()
        self._instances: set[tuple[str, ...]] = set()
        self._exception_slots: dict[tuple[str, tuple[str, ...]], int] = {}
        self._reported_exceptions: set[tuple[str, tuple[str, ...], str]] = set()

        self._backlog_lock = threading.Lock()
        self._lag_series: set[tuple[str, str]] = set()
        self._dead_letter_series: set[str] = set()

        self._timer_lock = threading.Lock()
        self._timer: tuple[threading.Thread, threading.Event] | None = None

    @property
    def registry(self) -> CollectorRegistry:
        """The registry behind `render`, for a caller that wants to add its own collectors."""
        return self._registry

    def render(self) -> bytes:
        """The Prometheus text exposition (format 0.0.4) of every family."""
        return generate_latest(self._registry)

    # -- the 1-minute window -------------------------------------------------------------------

    def start(self) -> None:
        """Start the daemon timer that closes the 1-minute window; a no-op when running.

        Fixed-rate like Pulsar's ``FixedTimer``: the window does not drift by the time a
        reset takes.
        """
        with self._timer_lock:
            if self._timer is not None:
                return
            stopping = threading.Event()
            thread = threading.Thread(
                target=self._run_window, args=(stopping,), name="metrics-1min-window", daemon=True
            )
            self._timer = (thread, stopping)
            thread.start()

    def stop(self) -> None:
        """Stop the window timer and wait for it; a no-op when it is not running."""
        with self._timer_lock:
            timer, self._timer = self._timer, None
        if timer is not None:
            thread, stopping = timer
            stopping.set()
            thread.join()

    def _run_window(self, stopping: threading.Event) -> None:
        deadline = time.monotonic() + self._window_seconds
        while not stopping.wait(max(0.0, deadline - time.monotonic())):
            try:
                self.reset_1min()
            except Exception:
                # A dead timer would freeze the _1min series silently; keep it ticking.
                _log.exception("resetting the 1-minute metrics failed")
            deadline += self._window_seconds

    def reset_1min(self) -> None:
        """Zero every ``_1min`` series and open a new exception-report allowance.

        Counters are zeroed in place; the summary has no public reset, so its series is
        replaced by a fresh one with the same labels (which stays visible at 0).
        """
        with self._window_lock:
            for labels in self._instances:
                for counter in (
                    self._received_1min,
                    self._processed_1min,
                    self._user_exceptions_1min,
                    self._system_exceptions_1min,
                ):
                    counter.labels(*labels).reset()
                self._latency_1min.remove(*labels)
                self._latency_1min.labels(*labels)
            self._exception_slots.clear()

    def error_rate_1min(self) -> float:
        """(user + system exceptions) / received, over every instance, in the current window.

        0 when nothing was received. Capped at 1: a message can fail more than once (a
        system error after a user exception) and errors of messages received in the previous
        window count in this one.
        """
        with self._window_lock:
            received = _family_total(self._received_1min, "pulsar_function_received_1min_total")
            errors = _family_total(
                self._user_exceptions_1min, "pulsar_function_user_exceptions_1min_total"
            ) + _family_total(
                self._system_exceptions_1min, "pulsar_function_system_exceptions_1min_total"
            )
        if received <= 0:
            return 0.0
        return min(1.0, errors / received)

    def _register_instance(self, labels: tuple[str, ...]) -> None:
        with self._window_lock:
            self._instances.add(labels)
            # Series exist from the start, at 0, as they do on a Pulsar instance.
            self._received_1min.labels(*labels)
            self._processed_1min.labels(*labels)
            self._user_exceptions_1min.labels(*labels)
            self._system_exceptions_1min.labels(*labels)
            self._latency_1min.labels(*labels)

    def _may_report_exception(self, kind: str, labels: tuple[str, ...], error: str) -> bool:
        """Pulsar's 5-per-minute limit, counting distinct texts only.

        Setting an already reported text to 1 again adds no series, so it does not use up
        the allowance; a storm of one exception cannot hide the next, different one.
        """
        with self._window_lock:
            if (kind, labels, error) in self._reported_exceptions:
                return True
            used = self._exception_slots.get((kind, labels), 0)
            if used >= EXCEPTION_REPORTS_PER_WINDOW:
                return False
            self._exception_slots[(kind, labels)] = used + 1
            self._reported_exceptions.add((kind, labels, error))
            return True

    # -- the spec's EventMetrics ---------------------------------------------------------------

    def event_consumed(
        self, function: str, event_type: str, duration_s: float, error: bool
    ) -> None:
        """One consumed event; a failed one still counts as consumed, and as an error."""
        self._consumed.labels(function).inc()
        self._consumed_by_type.labels(function, event_type).inc()
        self._processing_duration.labels(function).observe(duration_s)
        if error:
            self._processing_errors.labels(function).inc()

    def event_published(
        self, function: str, event_type: str, duration_s: float, error: bool
    ) -> None:
        """One publish attempt; a failed one still counts as published, and as an error."""
        self._published.labels(function).inc()
        self._published_by_type.labels(function, event_type).inc()
        self._publish_duration.labels(function).observe(duration_s)
        if error:
            self._publish_errors.labels(function).inc()

    # -- backlog gauges ------------------------------------------------------------------------

    def set_backlog(
        self,
        consumer_lag: Mapping[tuple[str, str], int],
        dead_letter_queue_size: Mapping[str, int],
    ) -> None:
        """Replace both backlog gauges with a fresh reading.

        New values are set before stale series are removed, so a concurrent scrape never
        sees the gauges empty.
        """
        with self._backlog_lock:
            for (topic, subscription), lag in consumer_lag.items():
                self._consumer_lag.labels(topic, subscription).set(lag)
            for topic, size in dead_letter_queue_size.items():
                self._dead_letter_queue_size.labels(topic).set(size)
            for pair in self._lag_series - consumer_lag.keys():
                self._consumer_lag.remove(*pair)
            for topic in self._dead_letter_series - dead_letter_queue_size.keys():
                self._dead_letter_queue_size.remove(topic)
            self._lag_series = set(consumer_lag)
            self._dead_letter_series = set(dead_letter_queue_size)

    def clear_backlog(self) -> None:
        """Drop both backlog gauges: when the broker cannot be read, an old number would lie."""
        self.set_backlog({}, {})


class FunctionStats:
    """The metrics of one function instance, as Pulsar's Python runtime keeps them.

    The host calls these from the instance's threads (and `status` from HTTP threads); all
    of it is thread-safe. Exception texts end up in label values and the status API, so
    e-mail addresses in them are masked like in the logs.
    """

    def __init__(
        self,
        metrics: Metrics,
        *,
        tenant: str,
        namespace: str,
        name: str,
        instance_id: int,
        cluster: str = "local",
    ) -> None:
        if "/" in namespace:
            raise ValueError(f"namespace {namespace!r} must not include the tenant")
        self.name = name
        self._metrics = metrics
        self._labels = (
            tenant,
            f"{tenant}/{namespace}",
            name,
            str(instance_id),
            cluster,
            f"{tenant}/{namespace}/{name}",
        )
        labels = self._labels
        self._received = metrics._received.labels(*labels)
        self._processed = metrics._processed.labels(*labels)
        self._user_exceptions = metrics._user_exceptions.labels(*labels)
        self._system_exceptions = metrics._system_exceptions.labels(*labels)
        self._latency = metrics._latency.labels(*labels)
        self._last_invocation = metrics._last_invocation.labels(*labels)
        self._dedupe_hits = metrics._dedupe_hits.labels(name)
        self._retries = metrics._retries.labels(name)
        metrics._register_instance(labels)
        # status() copies these from HTTP threads while the instance appends.
        self._latest_lock = threading.Lock()
        self._latest_user: deque[ExceptionInformation] = deque(maxlen=LATEST_EXCEPTIONS)
        self._latest_system: deque[ExceptionInformation] = deque(maxlen=LATEST_EXCEPTIONS)

    def incr_received(self) -> None:
        """A message was taken from the consumer (Pulsar counts it in the listener)."""
        self._received.inc()
        with self._metrics._window_lock:
            self._metrics._received_1min.labels(*self._labels).inc()

    def incr_processed(self, latency_ms: float) -> None:
        """process() returned and its result was handled; latency is of successes only."""
        self._processed.inc()
        self._latency.observe(latency_ms)
        with self._metrics._window_lock:
            self._metrics._processed_1min.labels(*self._labels).inc()
            self._metrics._latency_1min.labels(*self._labels).observe(latency_ms)

    def incr_user_exception(self, exc: BaseException) -> None:
        """process() raised ``exc``."""
        self._user_exceptions.inc()
        with self._metrics._window_lock:
            self._metrics._user_exceptions_1min.labels(*self._labels).inc()
        self._add_exception("user", exc, self._metrics._user_exception, self._latest_user)

    def incr_system_exception(self, exc: BaseException) -> None:
        """The runtime itself failed around a message (send, publish, SerDe...)."""
        self._system_exceptions.inc()
        with self._metrics._window_lock:
            self._metrics._system_exceptions_1min.labels(*self._labels).inc()
        self._add_exception("system", exc, self._metrics._system_exception, self._latest_system)

    def _add_exception(
        self, kind: str, exc: BaseException, gauge: Gauge, latest: deque[ExceptionInformation]
    ) -> None:
        information: ExceptionInformation = {
            "exceptionString": mask_emails("".join(traceback.format_exception(exc))),
            "timestampMs": int(time.time() * 1000),
        }
        with self._latest_lock:
            latest.append(information)
        error = mask_emails(str(exc))
        if self._metrics._may_report_exception(kind, self._labels, error):
            gauge.labels(*self._labels, error).set(1)

    def set_last_invocation(self, epoch_ms: float) -> None:
        """When the last process() call started, epoch milliseconds."""
        self._last_invocation.set(epoch_ms)

    def record_user_metric(self, name: str, value: float) -> None:
        """``context.record_metric``: the Pulsar summary, plus hexa's dedicated counters.

        A dedicated counter counts calls, not values: shared.handler records 1 per
        occurrence, and a counter must never be handed a negative amount.
        """
        self._metrics._user_metric.labels(*self._labels, name).observe(value)
        if name == DEDUPE_HIT:
            self._dedupe_hits.inc()
        elif name == RETRY:
            self._retries.inc()
        elif name.startswith(DEAD_LETTER_PREFIX) and len(name) > len(DEAD_LETTER_PREFIX):
            reason = name.removeprefix(DEAD_LETTER_PREFIX)
            self._metrics._dead_letters.labels(self.name, reason).inc()

    def status(self) -> InstanceStatus:
        """The counters as the admin API's ``/status`` reports them for this instance."""
        count = _sample(self._latency, "pulsar_function_process_latency_ms_count")
        total = _sample(self._latency, "pulsar_function_process_latency_ms_sum")
        with self._latest_lock:
            latest_user, latest_system = list(self._latest_user), list(self._latest_system)
        return {
            "numReceived": int(_sample(self._received, "pulsar_function_received_total")),
            "numSuccessfullyProcessed": int(
                _sample(self._processed, "pulsar_function_processed_successfully_total")
            ),
            "numUserExceptions": int(
                _sample(self._user_exceptions, "pulsar_function_user_exceptions_total")
            ),
            "latestUserExceptions": latest_user,
            "numSystemExceptions": int(
                _sample(self._system_exceptions, "pulsar_function_system_exceptions_total")
            ),
            "latestSystemExceptions": latest_system,
            "averageLatency": total / count if count > 0 else 0.0,
            "lastInvocationTime": int(
                _sample(self._last_invocation, "pulsar_function_last_invocation")
            ),
        }
