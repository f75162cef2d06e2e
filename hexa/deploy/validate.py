"""``deploy/functions.yaml`` checked against the code, the registry and the worker, before any
request is sent.

A wrong topic or a refused setting otherwise surfaces as a function that silently consumes
nothing, or as an HTTP 400 halfway through an ``apply`` that has already changed other
functions. The Python refusals are written against the rendered FunctionConfig, the very thing
the worker judges, with the reason the pinned release answers (``tests/conformance/
test_python_refusals.py`` records those answers against a real worker).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hexa.deploy.render import ACCEPTED_KEYS, function_config
from hexa.deployment import Deployment, DeploymentError, FunctionSpec
from shared.events.registry import REGISTRY
from shared.handler import DATABASE_URL_SECRET, Handler
from shared.topics import Service, dead_letter_topic

DECLARED_DEAD_LETTER_TOPICS = frozenset(dead_letter_topic(s) for s in Service)


@dataclass(frozen=True)
class Refusal:
    """A FunctionConfig the worker refuses for a Python function, and its words for it."""

    setting: str
    applies: Callable[[Mapping[str, Any]], bool]
    worker_reason: str


def _guarantee(config: Mapping[str, Any]) -> str:
    return str(config.get("processingGuarantees") or "ATLEAST_ONCE")


PYTHON_REFUSALS: tuple[Refusal, ...] = (
    Refusal(
        "processingGuarantees: EFFECTIVELY_ONCE",
        lambda c: _guarantee(c) == "EFFECTIVELY_ONCE",
        "Effectively-once processing guarantees not yet supported in Python",
    ),
    Refusal(
        "maxMessageRetries",
        lambda c: c.get("maxMessageRetries") is not None,
        "Message retries not yet supported in python",
    ),
    Refusal(
        "deadLetterTopic without maxMessageRetries",
        lambda c: bool(c.get("deadLetterTopic")) and c.get("maxMessageRetries") is None,
        "Dead Letter Topic specified, however max retries is set to infinity",
    ),
    Refusal(
        "windowConfig",
        lambda c: c.get("windowConfig") is not None,
        "There is currently no support windowing in python",
    ),
    Refusal(
        "timeoutMs with a guarantee other than ATLEAST_ONCE",
        lambda c: bool(c.get("timeoutMs")) and _guarantee(c) != "ATLEAST_ONCE",
        "Message timeout can only be specified with processing guarantee is ATLEAST_ONCE",
    ),
    Refusal(
        "autoAck: false with ATMOST_ONCE",
        lambda c: c.get("autoAck") is False and _guarantee(c) == "ATMOST_ONCE",
        "When Guarantees == ATMOST_ONCE, autoAck must be equal to true.",
    ),
    Refusal(
        "retainOrdering and retainKeyOrdering together",
        lambda c: bool(c.get("retainOrdering")) and bool(c.get("retainKeyOrdering")),
        "Only one of retain ordering or retain key ordering can be set",
    ),
)
"""What the pinned release refuses for Python. It accepts ``retainKeyOrdering`` (Key_Shared),
which some 3.x releases refused."""


def python_refusals(config: Mapping[str, Any]) -> list[Refusal]:
    return [refusal for refusal in PYTHON_REFUSALS if refusal.applies(config)]


@dataclass(frozen=True)
class Problem:
    function: str
    message: str

    def __str__(self) -> str:
        return f"{self.function}: {self.message}"


def _check_class(spec: FunctionSpec) -> list[str]:
    try:
        cls = spec.load_class()
    except DeploymentError as exc:
        return [str(exc).removeprefix(f"{spec.name}: ")]
    if not issubclass(cls, Handler) or not hasattr(cls, "consumes"):
        return [f"{spec.class_name} is not a shared.handler.Handler with `consumes`"]
    consumed = REGISTRY.for_model(cls.consumes)
    problems = []
    for topic in spec.inputs:
        event = REGISTRY.for_topic(topic)
        if event is None:
            problems.append(f"input {topic} is not a topic of the event registry")
        elif event is not consumed:
            problems.append(
                f"input {topic} carries {event.name}, but {cls.__name__} handles {consumed.name}"
            )
    return problems


def _check_topics(spec: FunctionSpec) -> list[str]:
    problems = [
        f"output {topic} is not a topic of the event registry"
        for topic in (*spec.outputs, *([spec.output] if spec.output else []))
        if REGISTRY.for_topic(topic) is None
    ]
    if spec.dead_letter_topic not in DECLARED_DEAD_LETTER_TOPICS:
        problems.append(
            f"dead-letter topic {spec.dead_letter_topic} is not declared in shared.topics"
            " (dead_letter_topic(service))"
        )
    if spec.namespace not in {s.value for s in Service}:
        problems.append(f"namespace {spec.namespace} is not a service of shared.topics")
    return problems


def _check_secrets(spec: FunctionSpec) -> list[str]:
    problems = []
    if DATABASE_URL_SECRET not in spec.secrets:
        problems.append(
            f"secrets has no {DATABASE_URL_SECRET}: the handler cannot reach its ledger"
        )
    for name, value in spec.secrets.items():
        if "://" in value or "@" in value:
            problems.append(
                f"secrets.{name} looks like a plain value; give the secrets provider's key"
            )
    for key in spec.user_config:
        if key in spec.secrets or key.upper() == DATABASE_URL_SECRET:
            problems.append(f"user_config.{key} would put a secret in plain config")
    return problems


def _check_rendered(spec: FunctionSpec) -> list[str]:
    config = function_config(spec, package_digest="")
    problems = [
        f"FunctionConfig key {key} is unknown to the worker"
        for key in config.keys() - ACCEPTED_KEYS
    ]
    problems += [
        f"the worker refuses {r.setting} for Python: {r.worker_reason}"
        for r in python_refusals(config)
    ]
    return problems


def validate(deployment: Deployment) -> list[Problem]:
    """Every problem of every function, so that one run lists them all."""
    problems = []
    for spec in deployment.functions:
        for check in (_check_class, _check_topics, _check_secrets, _check_rendered):
            problems += [Problem(spec.name, message) for message in check(spec)]
    return problems
