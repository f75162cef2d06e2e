"""The rendered FunctionConfig: only keys the worker knows, Python's settings where Python's
worker takes them, and a diff that sees through the worker's reshaping of what it stores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from hexa.deploy.plan import diff
from hexa.deploy.render import ACCEPTED_KEYS, DIGEST_KEY, function_config, render
from hexa.deployment import Deployment, FunctionSpec, Guarantee, SubscriptionType, load

DIGEST = "d" * 64


@pytest.fixture(scope="module")
def deployment() -> Deployment:
    return load()


@pytest.fixture
def spec(deployment: Deployment) -> FunctionSpec:
    return deployment.get("recruitment-recruitment-requested")


def test_every_rendered_key_is_a_function_config_field(deployment: Deployment) -> None:
    for spec in deployment.functions:
        config = function_config(spec, DIGEST)
        assert set(config) <= ACCEPTED_KEYS, spec.name
        assert config["tenant"] == "hexabuilders"
        assert config["namespace"] == spec.namespace
        assert config["cleanupSubscription"] is False
        assert config["runtime"] == "PYTHON"
        assert config["py"] == f"{spec.name}.zip"


def test_retries_and_dead_letter_topic_travel_in_user_config(spec: FunctionSpec) -> None:
    config = function_config(spec, DIGEST)
    assert "maxMessageRetries" not in config
    assert "deadLetterTopic" not in config
    assert config["userConfig"]["max_retries"] == spec.max_retries
    assert config["userConfig"]["dead_letter_topic"] == spec.dead_letter_topic
    assert config["userConfig"]["top_matches"] == 3
    assert config["userConfig"][DIGEST_KEY] == DIGEST


def test_database_url_is_a_secret_name_never_a_value(deployment: Deployment) -> None:
    for spec in deployment.functions:
        config = function_config(spec, DIGEST)
        assert config["secrets"] == {"DATABASE_URL": "DATABASE_URL"}
        assert "postgres" not in yaml.safe_dump(config).lower()


@pytest.mark.parametrize(
    ("subscription_type", "retain_ordering", "retain_key_ordering"),
    [
        (SubscriptionType.SHARED, False, False),
        (SubscriptionType.FAILOVER, True, False),
        (SubscriptionType.KEY_SHARED, False, True),
    ],
)
def test_subscription_type_maps_to_the_two_retain_flags(
    spec: FunctionSpec,
    subscription_type: SubscriptionType,
    retain_ordering: bool,
    retain_key_ordering: bool,
) -> None:
    config = function_config(spec.model_copy(update={"subscription_type": subscription_type}), "")
    assert config["retainOrdering"] is retain_ordering
    assert config["retainKeyOrdering"] is retain_key_ordering
    assert config["subName"] == "recruitment-service-subscription"
    assert config["subscriptionPosition"] == "Earliest"


def test_timeout_only_with_atleast_once(spec: FunctionSpec) -> None:
    assert function_config(spec, "")["timeoutMs"] == spec.ack_timeout_ms
    for guarantee in (Guarantee.ATMOST_ONCE, Guarantee.MANUAL):
        config = function_config(spec.model_copy(update={"processing_guarantee": guarantee}), "")
        assert "timeoutMs" not in config
        assert config["processingGuarantees"] == guarantee.value


def test_unnamed_subscription_is_the_runtime_default(spec: FunctionSpec) -> None:
    config = function_config(spec.model_copy(update={"subscription_name": None}), "")
    assert config["subName"] == "hexabuilders/recruitment/recruitment-recruitment-requested"


def test_resources_in_bytes_and_parallelism(spec: FunctionSpec) -> None:
    config = function_config(spec, "")
    assert config["resources"] == {"cpu": 0.25, "ram": 256 * 1024**2, "disk": 1024 * 1024**2}
    assert config["parallelism"] == 1


def test_render_writes_one_loadable_file_per_function(
    deployment: Deployment, tmp_path: Path
) -> None:
    digests = {spec.name: DIGEST for spec in deployment.functions}
    paths = render(deployment, tmp_path, digests)
    assert sorted(p.name for p in paths) == sorted(f"{s.name}.yaml" for s in deployment.functions)
    first = paths[0].read_bytes()
    for path, spec in zip(paths, deployment.functions, strict=True):
        assert yaml.safe_load(path.read_text()) == function_config(spec, DIGEST)
    render(deployment, tmp_path, digests)
    assert paths[0].read_bytes() == first


def _as_the_worker_returns_it(config: dict[str, Any]) -> dict[str, Any]:
    """The shape Pulsar 4.0.8's `functions get` gives back (measured): `inputSpecs` instead of
    `inputs`, user-config numbers as floats, defaults filled in, no `py`."""
    live = {k: v for k, v in config.items() if k not in ("inputs", "py")}
    live["inputSpecs"] = {
        t: {"schemaProperties": {}, "consumerProperties": {}, "poolMessages": False}
        for t in config["inputs"]
    }
    live["userConfig"] = {
        k: float(v) if isinstance(v, int) else v for k, v in config["userConfig"].items()
    }
    defaults = {"batchBuilder": "", "useThreadLocalProducers": False}
    live["producerConfig"] = {**config["producerConfig"], **defaults}
    return live


def test_diff_sees_through_the_workers_reshaping(spec: FunctionSpec) -> None:
    config = function_config(spec, DIGEST)
    assert diff(config, _as_the_worker_returns_it(config)) == []


def test_diff_names_the_one_entry_that_changed(spec: FunctionSpec) -> None:
    live = _as_the_worker_returns_it(function_config(spec, DIGEST))
    wanted = function_config(spec.model_copy(update={"user_config": {"top_matches": 5}}), DIGEST)
    changes = diff(wanted, live)
    assert [(c.key, c.live, c.wanted) for c in changes] == [("userConfig.top_matches", 3.0, 5)]


def test_diff_reports_input_and_subscription_changes(spec: FunctionSpec) -> None:
    live = _as_the_worker_returns_it(function_config(spec, DIGEST))
    other = "persistent://hexabuilders/recruitment/candidate-hired"
    wanted = function_config(
        spec.model_copy(update={"inputs": [other], "subscription_name": "s2"}), DIGEST
    )
    assert {c.key for c in diff(wanted, live)} == {"inputs", "subName"}
