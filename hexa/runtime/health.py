"""The spec's ``/health/events`` check, plus liveness and readiness.

The spec's sample computes ``all(health_status.values())``, which would call a lag of 0
unhealthy and any lag healthy; here each figure is compared with a threshold from the deploy
YAML instead, and the JSON says which check failed and by how much. Nothing in here may raise
into the HTTP server: a broker that cannot be read is an unhealthy answer, not a 500.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from hexa.runtime.backlog import BacklogSource, normalize_topic
from hexa.runtime.metrics import Metrics

_log = logging.getLogger(__name__)

# A Prometheus scrape and a few dashboards polling at once must not each hit the broker.
DEFAULT_CACHE_SECONDS = 1.0


@dataclass(frozen=True)
class HealthThresholds:
    """The most each figure may reach while the events path still counts as healthy.

    Defaults, for a development stack where a healthy host keeps up:
    - ``max_consumer_lag`` 1000 messages on the worst input subscription: a few seconds of
      work at the throughput of one instance, so only a stalled or overrun function trips it.
    - ``max_error_rate`` 0.1: more than one message in ten failing in the current minute is
      an outage of a dependency or a bad deploy, not a poison message.
    - ``max_dead_letter_queue_size`` 0: every dead letter is an event the platform gave up
      on and needs someone to replay or purge it, so the first one makes the check fail
      until that happens.
    """

    max_consumer_lag: int = 1000
    max_error_rate: float = 0.1
    max_dead_letter_queue_size: int = 0

    def __post_init__(self) -> None:
        if self.max_consumer_lag < 0 or self.max_dead_letter_queue_size < 0:
            raise ValueError("backlog thresholds must not be negative")
        if not 0.0 <= self.max_error_rate <= 1.0:
            raise ValueError("max_error_rate must be between 0 and 1")


class HealthResult(NamedTuple):
    """What to answer: the HTTP status code and the JSON body."""

    status_code: int
    body: dict[str, Any]


@dataclass(frozen=True)
class _Reading:
    """What the broker said at one moment; cached for `cache_seconds`."""

    taken_at: float
    connected: bool
    backlogs: dict[tuple[str, str], int] | None
    error: str | None


def _check(value: Any, threshold: Any, ok: bool) -> dict[str, Any]:
    return {"value": value, "threshold": threshold, "ok": ok}


class EventsHealth:
    """Computes ``/health/events`` and keeps the metrics' backlog gauges current.

    ``inputs`` are the (topic, subscription) pairs the functions consume; ``dead_letters``
    the (dead-letter topic, subscription) pairs whose backlog is the dead-letter queue (a
    topic keeps messages only for its subscriptions, so each dead-letter topic needs one).
    With ``backlog=None`` (a broker with neither metrics nor admin API), lag and queue size
    are reported as null and not checked.
    """

    def __init__(
        self,
        *,
        metrics: Metrics,
        backlog: BacklogSource | None,
        connection_check: Callable[[], bool],
        inputs: Iterable[tuple[str, str]],
        dead_letters: Iterable[tuple[str, str]],
        thresholds: HealthThresholds | None = None,
        cache_seconds: float = DEFAULT_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.thresholds = thresholds or HealthThresholds()
        self._metrics = metrics
        self._backlog = backlog
        self._connection_check = connection_check
        self._inputs = sorted({(normalize_topic(t), s) for t, s in inputs})
        self._dead_letters = sorted({(normalize_topic(t), s) for t, s in dead_letters})
        self._cache_seconds = cache_seconds
        self._clock = clock
        # Held while reading, so concurrent requests wait for one reading instead of each
        # starting their own.
        self._lock = threading.Lock()
        self._reading: _Reading | None = None

    def events(self) -> HealthResult:
        """The spec's JSON: 200 when every check passes, 503 otherwise."""
        reading = self._read()
        limits = self.thresholds
        error_rate = self._metrics.error_rate_1min()
        checks: dict[str, dict[str, Any]] = {
            "pulsar_connection": _check(reading.connected, True, reading.connected)
        }
        lag: int | None = None
        dead_letter_size: int | None = None
        if self._backlog is not None:
            if reading.backlogs is None:
                for name, threshold in (
                    ("consumer_lag", limits.max_consumer_lag),
                    ("dead_letter_queue_size", limits.max_dead_letter_queue_size),
                ):
                    checks[name] = {**_check(None, threshold, False), "error": reading.error}
            else:
                lag = max(self._lags(reading.backlogs).values(), default=0)
                dead_letter_size = sum(self._dead_letter_sizes(reading.backlogs).values())
                checks["consumer_lag"] = _check(
                    lag, limits.max_consumer_lag, lag <= limits.max_consumer_lag
                )
                checks["dead_letter_queue_size"] = _check(
                    dead_letter_size,
                    limits.max_dead_letter_queue_size,
                    dead_letter_size <= limits.max_dead_letter_queue_size,
                )
        checks["error_rate"] = _check(
            error_rate, limits.max_error_rate, error_rate <= limits.max_error_rate
        )
        healthy = all(check["ok"] for check in checks.values())
        body = {
            "status": "healthy" if healthy else "unhealthy",
            "pulsar_connection": reading.connected,
            "consumer_lag": lag,
            "error_rate": error_rate,
            "dead_letter_queue_size": dead_letter_size,
            "checks": checks,
        }
        return HealthResult(200 if healthy else 503, body)

    def update_backlog_gauges(self) -> None:
        """Refresh ``consumer_lag`` / ``dead_letter_queue_size`` before a scrape (cached)."""
        self._read()

    def _lags(self, backlogs: dict[tuple[str, str], int]) -> dict[tuple[str, str], int]:
        # A subscription the broker does not list has nothing waiting.
        return {pair: backlogs.get(pair, 0) for pair in self._inputs}

    def _dead_letter_sizes(self, backlogs: dict[tuple[str, str], int]) -> dict[str, int]:
        # Several subscriptions on one dead-letter topic hold the same messages: the largest
        # backlog is the queue, not their sum.
        sizes: dict[str, int] = {}
        for topic, subscription in self._dead_letters:
            sizes[topic] = max(sizes.get(topic, 0), backlogs.get((topic, subscription), 0))
        return sizes

    def _read(self) -> _Reading:
        with self._lock:
            now = self._clock()
            if self._reading is not None and now - self._reading.taken_at < self._cache_seconds:
                return self._reading
            try:
                connected = bool(self._connection_check())
            except Exception:
                _log.warning("the broker connection check failed", exc_info=True)
                connected = False
            backlogs: dict[tuple[str, str], int] | None = None
            error: str | None = None
            if self._backlog is not None:
                try:
                    backlogs = self._backlog.backlogs()
                except Exception as exc:
                    error = f"{type(exc).__name__}: {exc}"
                    _log.warning("cannot read the subscription backlogs: %s", error)
                    self._metrics.clear_backlog()
                else:
                    self._metrics.set_backlog(
                        self._lags(backlogs), self._dead_letter_sizes(backlogs)
                    )
            self._reading = _Reading(now, connected, backlogs, error)
            return self._reading


def live() -> HealthResult:
    """Liveness: answering at all is the proof, so always 200."""
    return HealthResult(200, {"status": "alive"})


def ready(probe: Callable[[], bool]) -> HealthResult:
    """Readiness per ``probe`` (the host's: subscribed, database and broker reachable)."""
    try:
        ok = bool(probe())
    except Exception:
        _log.warning("the readiness probe failed", exc_info=True)
        ok = False
    return HealthResult(200 if ok else 503, {"status": "ready" if ok else "not ready"})
