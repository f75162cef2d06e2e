"""An AsyncAPI 3.0 document of every topic, event and function, generated, never hand-written.

Channels are the catalogue's topics, messages its events (CloudEvents envelopes whose ``data``
is the event's JSON Schema), ``send`` operations the producing services, ``receive``
operations the functions of ``deploy/functions.yaml``.  AsyncAPI's Pulsar binding has nothing
for subscriptions, retries or dead-letter topics yet, so they travel as ``x-hexa-*``
extensions instead of being lost.
"""

from __future__ import annotations

import json
import re
from typing import Any

from hexa.deployment import Deployment
from shared.events import REGISTRY, EventSpec
from shared.topics import TENANT

BINDING_VERSION = "0.1.0"
CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"


def _channel_id(topic: str) -> str:
    service, category = topic.removeprefix(f"persistent://{TENANT}/").split("/")
    return re.sub(r"-(\w)", lambda m: m.group(1).upper(), f"{service}-{category}")


def _hoist(name: str, schema: dict[str, Any], into: dict[str, Any]) -> dict[str, Any]:
    """Move pydantic's ``$defs`` into ``components.schemas`` and point the refs there."""
    defs = schema.pop("$defs", {})
    text = json.dumps(schema).replace('"#/$defs/', '"#/components/schemas/')
    for def_name, definition in defs.items():
        into[def_name] = json.loads(
            json.dumps(definition).replace('"#/$defs/', '"#/components/schemas/')
        )
    into[name] = json.loads(text)
    return {"$ref": f"#/components/schemas/{name}"}


def _envelope(spec: EventSpec, data_ref: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["specversion", "id", "source", "type", "data"],
        "properties": {
            "specversion": {"const": "1.0"},
            "type": {"const": spec.type},
            "source": {"type": "string", "description": f"//{spec.context}/<aggregate id>"},
            "id": {"type": "string", "minLength": 1},
            "time": {"type": "string", "format": "date-time"},
            "datacontenttype": {"const": "application/json"},
            "dataschema": {"const": spec.dataschema},
            "subject": {"type": "string"},
            "correlationid": {"type": "string"},
            "causationid": {"type": "string"},
            "data": data_ref,
        },
    }


def document(deployment: Deployment, version: str = "1.0.0") -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for spec in REGISTRY:
        data_ref = _hoist(spec.name, spec.model.model_json_schema(), schemas)
        messages[spec.name] = {
            "name": spec.name,
            "title": spec.name,
            "summary": (spec.model.__doc__ or "").strip().splitlines()[0],
            "contentType": CONTENT_TYPE,
            "correlationId": {"location": "$message.payload#/correlationid"},
            "payload": _envelope(spec, data_ref),
            "x-hexa-idempotency-key": spec.key_field,
            "x-hexa-schema-version": spec.version,
            "x-hexa-criticality": spec.criticality.value,
        }
        channel = _channel_id(spec.topic)
        channels[channel] = {
            "address": spec.topic,
            "messages": {spec.name: {"$ref": f"#/components/messages/{spec.name}"}},
            "bindings": {
                "pulsar": {
                    "namespace": spec.producer,
                    "persistence": "persistent",
                    "bindingVersion": BINDING_VERSION,
                }
            },
        }
        operations[f"publish{spec.name}"] = {
            "action": "send",
            "title": f"{spec.producer} publishes {spec.name}",
            "channel": {"$ref": f"#/channels/{channel}"},
            "messages": [{"$ref": f"#/channels/{channel}/messages/{spec.name}"}],
            "x-hexa-consumers": list(spec.consumers),
        }
    for function in deployment.functions:
        for topic in function.inputs:
            consumed = REGISTRY.for_topic(topic)
            if consumed is None:
                continue
            channel = _channel_id(topic)
            operations[function.name] = {
                "action": "receive",
                "title": f"{function.name} ({function.class_name})",
                "channel": {"$ref": f"#/channels/{channel}"},
                "messages": [{"$ref": f"#/channels/{channel}/messages/{consumed.name}"}],
                "x-hexa-subscription": {
                    "name": function.subscription,
                    "type": function.subscription_type.value,
                    "initialPosition": function.subscription_position.value,
                    "processingGuarantee": function.processing_guarantee.value,
                },
                "x-hexa-retries": {
                    "maxRetries": function.max_retries,
                    "inProcessAttempts": function.retry.attempts,
                    "backoffSeconds": [function.retry.wait_min_s, function.retry.wait_max_s],
                    "deadLetterTopic": function.dead_letter_topic,
                },
                "x-hexa-emits": list(function.outputs),
            }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "HexaBuilders integration events",
            "version": version,
            "description": "Every integration event between the HexaBuilders bounded contexts, "
            "as CloudEvents 1.0 (structured JSON) on Apache Pulsar, and the Pulsar Functions "
            "that consume them.",
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "local": {
                "host": "127.0.0.1:6650",
                "protocol": "pulsar",
                "description": "hexa up (the port is chosen at start; see its output)",
                "bindings": {"pulsar": {"tenant": TENANT, "bindingVersion": BINDING_VERSION}},
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }
