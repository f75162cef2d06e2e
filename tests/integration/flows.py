"""Running the whole platform in a test: a fast-retry deployment, a dev environment of its own,
and helpers to publish events and collect the events the functions emit."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pulsar
from moto.server import ThreadedMotoServer

from hexa.deployment import Deployment, Retry, load
from hexa.devenv import DevEnvironment
from hexa.pulsar_client import new_client
from shared.envelope import CloudEvent, parse
from tests.conftest import scratch_dir
from tests.integration.helpers import wait_for

FAST = Retry(attempts=2, wait_min_s=0.05, wait_max_s=0.1, multiplier=1, jitter_s=0)
SNS_TOPIC = "arn:aws:sns:eu-west-1:123456789012:hexabuilders-budget-alerts"


def fast_deployment(**user_config: Any) -> Deployment:
    """The real deploy file with quick in-process retries and extra user config."""
    deployment = load()
    functions = [
        f.model_copy(update={"retry": FAST, "user_config": {**f.user_config, **user_config}})
        for f in deployment.functions
    ]
    return deployment.model_copy(update={"functions": functions})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def sns_server() -> Iterator[str]:
    """moto in server mode on loopback, with the topic the notifications function uses."""
    import boto3

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    try:
        boto3.client(
            "sns",
            region_name="eu-west-1",
            endpoint_url=url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        ).create_topic(Name="hexabuilders-budget-alerts")
        yield url
    finally:
        server.stop()


@contextmanager
def platform(monkeypatch: Any, **user_config: Any) -> Iterator[DevEnvironment]:
    """Broker, PostgreSQL and every function, all its own, stopped (and deleted) on exit."""
    for name in ("PULSAR_SERVICE_URL", "DATABASE_URL", "PULSAR_ADMIN_URL"):
        monkeypatch.delenv(name, raising=False)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
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
