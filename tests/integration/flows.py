"""Running the whole platform in a test: a fast-retry deployment, a dev environment of its own,
and helpers to publish events and collect the events the functions emit."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pulsar

from hexa.deployment import Deployment, Retry, load
from hexa.devenv import DevEnvironment
from hexa.pulsar_client import new_client
from shared.envelope import CloudEvent, parse
from tests.conditions import wait_for
from tests.conftest import scratch_dir

FAST = Retry(attempts=2, wait_min_s=0.05, wait_max_s=0.1, multiplier=1, jitter_s=0)


def fast_deployment(**user_config: Any) -> Deployment:
    """The real deploy file with quick in-process retries and extra user config."""
    deployment = load()
    functions = [
        f.model_copy(update={"retry": FAST, "user_config": {**f.user_config, **user_config}})
        for f in deployment.functions
    ]
    return deployment.model_copy(update={"functions": functions})


@contextmanager
def platform(monkeypatch: Any, **user_config: Any) -> Iterator[DevEnvironment]:
    """Broker, PostgreSQL, local SNS and every function, all its own, stopped on exit."""
    for name in ("PULSAR_SERVICE_URL", "DATABASE_URL", "PULSAR_ADMIN_URL", "AWS_ENDPOINT_URL_SNS"):
        monkeypatch.delenv(name, raising=False)
    home = scratch_dir("hexa-platform-")
    env = DevEnvironment(home=home, deployment=fast_deployment(**user_config), record_state=False)
    try:
        with env:
            yield env
    finally:
        shutil.rmtree(home, ignore_errors=True)


class Collector:
    """Everything published to some topics, from a subscription opened before the test acts."""

    def __init__(self, pulsar_url: str, topics: list[str], name: str) -> None:
        self._client = new_client(pulsar_url)
        self._consumer = self._client.subscribe(
            topics,
            f"test-collector-{name}",
            consumer_type=pulsar.ConsumerType.Shared,
            initial_position=pulsar.InitialPosition.Earliest,
        )
        self.messages: list[pulsar.Message] = []

    def drain(self) -> None:
        while True:
            try:
                message = self._consumer.receive(timeout_millis=50)
            except pulsar.Timeout:
                return
            self._consumer.acknowledge(message)
            self.messages.append(message)

    def events(self, where: Callable[[CloudEvent], bool] = lambda e: True) -> list[CloudEvent]:
        self.drain()
        return [e for e in (parse(m.data()) for m in self.messages) if where(e)]

    def wait(
        self, count: int, where: Callable[[CloudEvent], bool] = lambda e: True, timeout: float = 30
    ) -> list[CloudEvent]:
        return wait_for(
            lambda: (lambda found: found if len(found) >= count else None)(self.events(where)),
            timeout=timeout,
            what=f"{count} event(s)",
        )

    def close(self) -> None:
        self._consumer.close()
        self._client.close()
