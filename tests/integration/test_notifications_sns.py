"""Budget alerts reach a real SNS API (moto in server mode) once per alert."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from functions.notifications.budget_alert import OnBudgetAlert
from hexa.samples import sample
from tests.fakes import envelope, wire
from tests.integration.helpers import pg_context, scalar

pytestmark = pytest.mark.integration
REGION = "eu-west-1"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def sns_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key.upper(), value)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def test_critical_alerts_are_notified_once_each(sns_endpoint: str, database_url: str) -> None:
    sns = boto3.client("sns", region_name=REGION, endpoint_url=sns_endpoint, **CREDENTIALS)
    sqs = boto3.client("sqs", region_name=REGION, endpoint_url=sns_endpoint, **CREDENTIALS)
    topic_arn = sns.create_topic(Name="budget-alerts")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)

    config: dict[str, Any] = {
        "sns_topic_arn": topic_arn,
        "sns_endpoint_url": sns_endpoint,
        "aws_region": REGION,
    }
    handler = OnBudgetAlert()
    critical = sample("BudgetAlert", 1, alert_type="CRITICAL")
    exhausted = sample("BudgetAlert", 2, alert_type="EXHAUSTED")
    warning = sample("BudgetAlert", 3, alert_type="WARNING")
    for data, deliveries in ((critical, 3), (exhausted, 1), (warning, 2)):
        payload = wire(envelope(data))
        for _ in range(deliveries):
            handler.process(payload, pg_context(data, database_url, **config))

    received = []
    while True:
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages")
        if not batch:
            break
        received += [json.loads(json.loads(m["Body"])["Message"]) for m in batch]
    assert sorted(m["alert_id"] for m in received) == sorted(
        [critical.alert_id, exhausted.alert_id]
    )  # type: ignore[attr-defined]
    assert scalar(database_url, "SELECT count(*) FROM notifications.sent") == 2
