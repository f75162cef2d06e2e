"""The AsyncAPI document covers the catalogue and the deploy file, and every $ref resolves."""

from __future__ import annotations

import json
from typing import Any

import yaml
from click.testing import CliRunner

from hexa.asyncapi import document
from hexa.cli.docs import docs
from hexa.deployment import load
from shared.events import REGISTRY


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [
            r for v in node.values() for r in refs(v)
        ]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


def resolve(doc: dict[str, Any], ref: str) -> Any:
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_every_event_topic_and_function_is_documented() -> None:
    doc = document(load())
    assert doc["asyncapi"] == "3.0.0"
    addresses = {c["address"] for c in doc["channels"].values()}
    assert addresses == {spec.topic for spec in REGISTRY}
    assert set(doc["components"]["messages"]) == {spec.name for spec in REGISTRY}
    receives = {k for k, op in doc["operations"].items() if op["action"] == "receive"}
    assert receives == {f.name for f in load().functions}
    op = doc["operations"]["onboarding-partner-registration"]
    assert op["x-hexa-retries"]["deadLetterTopic"].endswith("/onboarding/dead-letters")
    assert op["x-hexa-subscription"]["name"] == "onboarding-service-subscription"


def test_every_reference_resolves() -> None:
    doc = document(load())
    found = refs(doc)
    assert len(found) > 50
    for ref in found:
        assert resolve(doc, ref) is not None, ref
    assert "$defs" not in json.dumps(doc)


def test_cli_prints_yaml_and_json() -> None:
    runner = CliRunner()
    as_yaml = runner.invoke(docs, ["asyncapi"])
    as_json = runner.invoke(docs, ["asyncapi", "--format", "json"])
    assert as_yaml.exit_code == as_json.exit_code == 0
    assert yaml.safe_load(as_yaml.output) == json.loads(as_json.output)
