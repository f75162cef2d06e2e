"""Where consumer lag and dead-letter queue size come from: the broker's subscription backlogs.

The host cannot count lag itself (messages wait in the broker, not in the host), so it asks
the broker. pulsar-lite has no admin REST API but exports ``pulsar_subscription_back_log`` on
its metrics endpoint; Apache Pulsar has the admin topic stats. Both backends answer the same
question, keyed by full topic names so the health check can match them against the deploy
configuration whatever form the broker reports them in.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

# Short: a health check that waits on a dead broker blocks the scrape that asked for it.
DEFAULT_TIMEOUT_S = 2.0
_BACK_LOG = "pulsar_subscription_back_log"


class BacklogError(RuntimeError):
    """The backlog could not be read; the health check reports it as unhealthy."""


def normalize_topic(topic: str) -> str:
    """The full name the Pulsar client derives: ``name`` and ``tenant/ns/name`` are persistent."""
    if "://" in topic:
        return topic
    if "/" not in topic:
        return f"persistent://public/default/{topic}"
    return f"persistent://{topic}"


class BacklogSource(ABC):
    """Reads the messages waiting on each subscription."""

    @abstractmethod
    def backlogs(self) -> dict[tuple[str, str], int]:
        """(full topic name, subscription) -> messages not yet acknowledged.

        A subscription the broker does not report has nothing waiting (or does not exist).
        Raises `BacklogError` when the broker cannot be read.
        """


class LiteMetricsBacklog(BacklogSource):
    """pulsar-lite's ``pulsar_subscription_back_log`` gauge, scraped from its metrics endpoint.

    Two limits of the source: the broker refreshes the gauge about every 5 s, and it counts
    stored entries, so messages a producer batched together count as one.
    """

    def __init__(self, metrics_url: str, *, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        self.metrics_url = metrics_url
        self.timeout = timeout

    def backlogs(self) -> dict[tuple[str, str], int]:
        try:
            with urllib.request.urlopen(self.metrics_url, timeout=self.timeout) as response:
                text = response.read().decode("utf-8")
            families = list(text_string_to_metric_families(text))
        except (OSError, ValueError) as error:  # URLError and HTTPError are OSErrors
            raise BacklogError(f"cannot read {self.metrics_url}: {error}") from error
        result: dict[tuple[str, str], int] = {}
        for family in families:
            for sample in family.samples:
                if sample.name != _BACK_LOG:
                    continue
                labels = sample.labels
                if "topic" not in labels or "subscription" not in labels:
                    continue
                key = (_lite_topic(labels), labels["subscription"])
                # Summed: partitions of one topic are separate series.
                result[key] = result.get(key, 0) + int(sample.value)
        return result


def _lite_topic(labels: dict[str, str]) -> str:
    """pulsar-lite labels the local topic name and its namespace separately."""
    topic = labels["topic"]
    if "://" in topic:
        return topic
    return f"persistent://{labels.get('namespace', 'public/default')}/{topic}"


class AdminStatsBacklog(BacklogSource):
    """``msgBacklog`` of every subscription in Apache Pulsar's admin topic stats.

    One request per topic. A topic the broker does not know (404) has no backlog: a
    dead-letter topic only comes into being with its first dead letter.
    """

    def __init__(
        self,
        admin_url: str,
        topics: Iterable[str],
        token: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self.admin_url = admin_url.rstrip("/")
        self.timeout = timeout
        # Built up front so that a malformed topic name fails at wiring time, not per check.
        self._urls = {
            topic: _stats_url(self.admin_url, topic)
            for topic in sorted({normalize_topic(topic) for topic in topics})
        }
        self._headers = {"Accept": "application/json"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"

    def backlogs(self) -> dict[tuple[str, str], int]:
        result: dict[tuple[str, str], int] = {}
        for topic, url in self._urls.items():
            stats = self._get(url)
            subscriptions = stats.get("subscriptions") if stats else None
            if not isinstance(subscriptions, dict):
                continue
            try:
                for name, subscription in subscriptions.items():
                    result[(topic, name)] = int(subscription.get("msgBacklog", 0))
            except (AttributeError, TypeError, ValueError) as error:
                raise BacklogError(f"GET {url}: unexpected subscription stats") from error
        return result

    def _get(self, url: str) -> dict[str, Any] | None:
        """The JSON body, or None for 404."""
        request = urllib.request.Request(url, headers=self._headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = json.loads(response.read())
        except urllib.error.HTTPError as error:
            error.close()
            if error.code == 404:
                return None
            raise BacklogError(f"GET {url}: HTTP {error.code} {error.reason}") from error
        except (OSError, ValueError) as error:
            raise BacklogError(f"GET {url}: {error}") from error
        if not isinstance(body, dict):
            raise BacklogError(f"GET {url}: not a JSON object")
        return body


def _stats_url(admin_url: str, topic: str) -> str:
    """``/admin/v2/{persistent|non-persistent}/{tenant}/{namespace}/{topic}/stats``."""
    domain, _, path = topic.partition("://")
    parts = path.split("/", 2)
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"not a tenant/namespace/topic name: {topic!r}")
    quoted = "/".join(urllib.parse.quote(part, safe="") for part in parts)
    return f"{admin_url}/admin/v2/{domain}/{quoted}/stats"
