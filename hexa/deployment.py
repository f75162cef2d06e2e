"""``deploy/functions.yaml``: the model of every function's deployment, and its loader.

Errors name the file, the line and the field (``deploy/functions.yaml:42: functions[3].
max_retries: ...``) because that file is edited by hand and a bare pydantic traceback does
not say where to look.
"""

from __future__ import annotations

import importlib
from enum import StrEnum
from pathlib import Path
from typing import Any, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hexa.paths import DEPLOY_FILE
from shared.topics import TENANT

DEFAULT_PATH = DEPLOY_FILE


class DeploymentError(ValueError):
    """A one-line, located error in the deployment file."""


class Guarantee(StrEnum):
    ATLEAST_ONCE = "ATLEAST_ONCE"
    ATMOST_ONCE = "ATMOST_ONCE"
    EFFECTIVELY_ONCE = "EFFECTIVELY_ONCE"
    MANUAL = "MANUAL"


class SubscriptionType(StrEnum):
    SHARED = "Shared"
    FAILOVER = "Failover"
    KEY_SHARED = "Key_Shared"


class Position(StrEnum):
    EARLIEST = "Earliest"
    LATEST = "Latest"


class Compression(StrEnum):
    NONE = "NONE"
    LZ4 = "LZ4"
    ZLIB = "ZLIB"
    ZSTD = "ZSTD"
    SNAPPY = "SNAPPY"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Retry(_Strict):
    """In-process retry of a ``TransientError`` (tenacity): exponential backoff plus jitter."""

    attempts: int = Field(default=3, ge=1, le=10)
    wait_min_s: float = Field(default=4, ge=0)
    wait_max_s: float = Field(default=10, ge=0)
    multiplier: float = Field(default=1, gt=0)
    jitter_s: float = Field(default=1, ge=0)


class Resources(_Strict):
    cpu: float = Field(default=0.25, gt=0)
    ram_mb: int = Field(default=256, gt=0)
    disk_mb: int = Field(default=1024, gt=0)


class Defaults(_Strict):
    tenant: str = TENANT
    processing_guarantee: Guarantee = Guarantee.ATLEAST_ONCE
    subscription_type: SubscriptionType = SubscriptionType.SHARED
    subscription_position: Position = Position.EARLIEST
    negative_ack_redelivery_delay_ms: int = Field(default=1000, gt=0)
    ack_timeout_ms: int = Field(default=30000, gt=0)
    max_retries: int = Field(default=3, ge=1)
    retry: Retry = Retry()
    parallelism: int = Field(default=1, ge=1)
    resources: Resources = Resources()
    secrets: dict[str, str] = Field(default_factory=dict)
    user_config: dict[str, Any] = Field(default_factory=dict)


class FunctionSpec(Defaults):
    """One function: defaults merged in, so every field is explicit once loaded."""

    name: str = Field(pattern=r"^[a-z][a-z0-9-]{1,62}$")
    namespace: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    class_name: str = Field(pattern=r"^[A-Za-z_][\w.]*$")
    inputs: list[str] = Field(min_length=1)
    outputs: list[str] = Field(default_factory=list)
    subscription_name: str | None = None
    dead_letter_topic: str
    output: str | None = None
    """Pulsar's sink topic (``process``'s return value goes there); ours publish instead."""
    output_serde_class_name: str = "serde.IdentitySerDe"
    custom_serde_inputs: dict[str, str] = Field(default_factory=dict)
    auto_ack: bool = True
    forward_source_message_property: bool = True
    compression_type: Compression = Compression.LZ4

    @model_validator(mode="after")
    def _topics_qualified(self) -> Self:
        sink = [self.output] if self.output else []
        for t in (*self.inputs, *self.outputs, *sink, self.dead_letter_topic):
            if not t.startswith("persistent://"):
                raise ValueError(f"topic {t!r} must be fully qualified (persistent://...)")
        if set(self.inputs) & {*self.outputs, *sink}:
            raise ValueError("an output topic cannot also be an input")
        return self

    @property
    def fqfn(self) -> str:
        return f"{self.tenant}/{self.namespace}/{self.name}"

    @property
    def subscription(self) -> str:
        """The runtime's rule: ``subName`` if set, else ``tenant/namespace/name``."""
        return self.subscription_name or self.fqfn

    def user_config_with_policy(self) -> dict[str, Any]:
        """What the function reads from ``context.get_user_config_value``: the YAML's user
        config plus the retry/DLQ policy the Python runtime would otherwise ignore."""
        return {
            **self.user_config,
            "dead_letter_topic": self.dead_letter_topic,
            "max_retries": self.max_retries,
            "retry_attempts": self.retry.attempts,
            "retry_wait_min_s": self.retry.wait_min_s,
            "retry_wait_max_s": self.retry.wait_max_s,
            "retry_multiplier": self.retry.multiplier,
            "retry_jitter_s": self.retry.jitter_s,
        }

    def load_class(self) -> type:
        module_name, _, attr = self.class_name.rpartition(".")
        try:
            cls = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise DeploymentError(f"{self.name}: class {self.class_name} not found: {exc}") from exc
        if not isinstance(cls, type):
            raise DeploymentError(f"{self.name}: {self.class_name} is not a class")
        return cls


class Health(_Strict):
    """Thresholds of ``/health/events``: past any of them the endpoint answers 503."""

    max_consumer_lag: int = Field(default=1000, ge=0)
    """Messages waiting, summed over every function's input subscriptions."""
    max_error_rate: float = Field(default=0.5, ge=0, le=1)
    """Failed / received over the last minute."""
    max_dead_letter_queue_size: int = Field(default=100, ge=0)
    """Dead letters not yet replayed or purged, over every dead-letter topic."""


class Deployment(_Strict):
    defaults: Defaults = Defaults()
    health: Health = Health()
    functions: list[FunctionSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> Self:
        seen: set[str] = set()
        for f in self.functions:
            if f.name in seen:
                raise ValueError(f"function name {f.name!r} is used twice")
            seen.add(f.name)
        return self

    def get(self, name: str) -> FunctionSpec:
        for f in self.functions:
            if f.name == name:
                return f
        known = ", ".join(f.name for f in self.functions)
        raise DeploymentError(f"no function named {name!r} (known: {known})")


def load(path: Path = DEFAULT_PATH) -> Deployment:
    """Parse and validate the file, merging ``defaults`` into every function entry."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise DeploymentError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        root = yaml.compose(text)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise DeploymentError(f"{path}{line}: invalid YAML: {problem}") from None
    if not isinstance(raw, dict):
        raise DeploymentError(f"{path}:1: expected a mapping with 'defaults' and 'functions'")
    defaults = raw.get("defaults") or {}
    entries = raw.get("functions")
    merged = dict(raw)
    if isinstance(defaults, dict) and isinstance(entries, list):
        merged["functions"] = [{**defaults, **e} if isinstance(e, dict) else e for e in entries]
    try:
        return Deployment.model_validate(merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        where = _field_path(loc)
        lineno = _line_of(root, loc, defaults)
        msg = first["msg"].removeprefix("Value error, ")
        raise DeploymentError(f"{path}:{lineno}: {where}: {msg}") from None


def _field_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(file)"


def _line_of(root: yaml.Node | None, loc: tuple[Any, ...], defaults: Any) -> int:
    """The line of the deepest YAML node on ``loc``; a merged default points at ``defaults``."""
    node = root
    best = 1 if root is None else root.start_mark.line + 1
    for i, part in enumerate(loc):
        child = _child(node, part)
        if child is None and i == 2 and isinstance(defaults, dict) and part in defaults:
            child = _child(_child(root, "defaults"), part)
        if child is None:
            break
        node = child
        best = node.start_mark.line + 1
    return best


def _child(node: yaml.Node | None, key: Any) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == key:
                return v  # type: ignore[no-any-return]
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        return node.value[key]  # type: ignore[no-any-return]
    return None
