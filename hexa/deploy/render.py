"""One Pulsar FunctionConfig per function, for ``pulsar-admin functions create
--function-config-file`` and for the admin REST API alike.

Only keys of ``FunctionConfig`` are written, and only those the worker accepts for Python:
retries and the dead-letter topic travel in ``userConfig`` (the worker refuses
``maxMessageRetries`` for Python, and the function enforces its own budget), ``timeoutMs`` only
with ATLEAST_ONCE (the worker refuses it with any other guarantee), and the database URL only
ever as the name of a secret. ``userConfig`` also carries the digest of the package, so that a
code change shows up in ``hexa deploy plan`` as a field like any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from hexa.deployment import Deployment, FunctionSpec, Guarantee, SubscriptionType

# The fields of org.apache.pulsar.common.functions.FunctionConfig in the pinned release
# (deploy/pulsar-standalone/pom.xml), read from its class file.
_FUNCTION_CONFIG_FIELDS = """
    runtimeFlags tenant namespace name className inputs customSerdeInputs topicsPattern
    customSchemaInputs customSchemaOutputs inputSpecs inputTypeClassName output producerConfig
    outputSchemaType outputTypeClassName outputSerdeClassName logTopic processingGuarantees
    retainOrdering retainKeyOrdering batchBuilder forwardSourceMessageProperty userConfig
    secrets runtime autoAck maxMessageRetries deadLetterTopic subName parallelism resources
    fqfn windowConfig timeoutMs jar py go functionType cleanupSubscription
    customRuntimeOptions maxPendingAsyncRequests exposePulsarAdminClientEnabled skipToLatest
    subscriptionPosition
"""
ACCEPTED_KEYS = frozenset(_FUNCTION_CONFIG_FIELDS.split())
DIGEST_KEY = "hexa_package_digest"
_MIB = 1024 * 1024


def package_file_name(spec: FunctionSpec) -> str:
    """The worker extracts ``<name>.zip`` and expects a top-level ``<name>/`` inside it."""
    return f"{spec.name}.zip"


def function_config(spec: FunctionSpec, package_digest: str) -> dict[str, Any]:
    """The FunctionConfig of ``spec``; ``py`` names the zip relative to the rendered file."""
    plain_inputs = [t for t in spec.inputs if t not in spec.custom_serde_inputs]
    config: dict[str, Any] = {
        "tenant": spec.tenant,
        "namespace": spec.namespace,
        "name": spec.name,
        "className": spec.class_name,
        # `py` is what pulsar-admin infers the runtime from; the REST API needs it said.
        "runtime": "PYTHON",
        "py": package_file_name(spec),
    }
    if plain_inputs:
        config["inputs"] = plain_inputs
    if spec.custom_serde_inputs:
        config["customSerdeInputs"] = dict(spec.custom_serde_inputs)
    if spec.output:
        config["output"] = spec.output
        config["outputSerdeClassName"] = spec.output_serde_class_name
    config |= {
        "processingGuarantees": spec.processing_guarantee.value,
        "subName": spec.subscription,
        # FunctionConfig has no subscription type: the worker derives it from these two.
        "retainOrdering": spec.subscription_type is SubscriptionType.FAILOVER,
        "retainKeyOrdering": spec.subscription_type is SubscriptionType.KEY_SHARED,
        "subscriptionPosition": spec.subscription_position.value,
        "autoAck": spec.auto_ack,
        "forwardSourceMessageProperty": spec.forward_source_message_property,
        "producerConfig": {"compressionType": spec.compression_type.value},
        "parallelism": spec.parallelism,
        "resources": {
            "cpu": spec.resources.cpu,
            "ram": spec.resources.ram_mb * _MIB,
            "disk": spec.resources.disk_mb * _MIB,
        },
        "userConfig": {**spec.user_config_with_policy(), DIGEST_KEY: package_digest},
        "secrets": dict(spec.secrets),
        # Deleting or replacing a function must not drop its backlog.
        "cleanupSubscription": False,
    }
    if spec.processing_guarantee is Guarantee.ATLEAST_ONCE:
        config["timeoutMs"] = spec.ack_timeout_ms
    return config


def to_yaml(config: Mapping[str, Any]) -> str:
    return yaml.safe_dump(dict(config), sort_keys=False, default_flow_style=False, width=1000)


def render(deployment: Deployment, out_dir: Path, digests: Mapping[str, str]) -> list[Path]:
    """Write ``<name>.yaml`` for every function; ``digests`` maps names to package digests."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for spec in deployment.functions:
        path = out_dir / f"{spec.name}.yaml"
        path.write_text(to_yaml(function_config(spec, digests[spec.name])))
        written.append(path)
    return written
