"""Declarative deploy: what the worker has against what the YAML renders, then the requests that
close the gap and nothing more.

The diff is field by field over the keys ``render`` writes, on a normal form of both sides,
because the worker hands a config back reshaped: ``inputs`` become ``inputSpecs``, numbers in
``userConfig`` come back as floats, ``producerConfig`` gains defaults. Keys the YAML does not
manage are left alone. Some fields cannot be changed by an update (the worker's
``validateUpdate``); an ``apply`` that needs one stops before sending anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from hexa.deploy import DeployError
from hexa.deploy.admin import PulsarAdmin
from hexa.deploy.render import DIGEST_KEY, function_config
from hexa.deployment import Deployment, FunctionSpec

IMMUTABLE = {
    "processingGuarantees": "Processing Guarantees",
    "retainOrdering": "Retain Ordering",
    "retainKeyOrdering": "Retain Key Ordering",
    "autoAck": "AutoAck",
    "runtime": "Runtime",
    "subName": "Subscription Name",
    "inputs": "Input Topics",
    "customSerdeInputs": "Input Topics",
    "outputSerdeClassName": "Output Serde",
}
"""Keys an update may not change, with the worker's name for them ("... cannot be altered")."""
_IDENTITY = ("tenant", "namespace", "name", "py")


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    DELETE = "delete"


@dataclass(frozen=True)
class FieldChange:
    key: str
    live: Any
    wanted: Any


@dataclass(frozen=True)
class Change:
    action: Action
    tenant: str
    namespace: str
    name: str
    fields: tuple[FieldChange, ...] = ()
    spec: FunctionSpec | None = None
    config: Mapping[str, Any] | None = None

    @property
    def fqfn(self) -> str:
        return f"{self.tenant}/{self.namespace}/{self.name}"

    @property
    def immutable(self) -> list[str]:
        return [f.key for f in self.fields if f.key.split(".")[0] in IMMUTABLE]

    @property
    def code_changed(self) -> bool:
        return any(f.key == f"userConfig.{DIGEST_KEY}" for f in self.fields)


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)

    def of(self, action: Action) -> list[Change]:
        return [c for c in self.changes if c.action is action]

    def counts(self) -> dict[Action, int]:
        return {action: len(self.of(action)) for action in Action}


def _normal(config: Mapping[str, Any]) -> dict[str, Any]:
    """The comparable form of a FunctionConfig, as rendered or as the worker returns it."""
    specs: Mapping[str, Any] = config.get("inputSpecs") or {}
    serdes = dict(config.get("customSerdeInputs") or {})
    serdes |= {t: s["serdeClassName"] for t, s in specs.items() if s.get("serdeClassName")}
    normal = {k: v for k, v in config.items() if k not in ("inputSpecs", *_IDENTITY)}
    normal["inputs"] = sorted({*(config.get("inputs") or ()), *serdes, *specs})
    normal["customSerdeInputs"] = serdes
    normal.setdefault("output", None)
    return normal


_MAPS = ("userConfig", "secrets", "customSerdeInputs")
"""Compared entry by entry, so that a plan names the one user-config key that changed."""
_DEFAULTED = ("producerConfig", "resources")
"""The worker fills in defaults of its own: only what the YAML sets is compared."""


def diff(wanted: Mapping[str, Any], live: Mapping[str, Any]) -> list[FieldChange]:
    """Changes needed to turn ``live`` into ``wanted``, over the keys ``wanted`` manages;
    entries of map-valued keys are reported as ``key.entry``."""
    want, have = _normal(wanted), _normal(live)
    changes = []
    for key, value in want.items():
        current = have.get(key)
        if key in _MAPS and isinstance(value, dict) and isinstance(current, dict):
            for entry in sorted(value.keys() | current.keys()):
                if value.get(entry) != current.get(entry):  # 3 == 3.0: numbers come back floats
                    changes.append(
                        FieldChange(f"{key}.{entry}", current.get(entry), value.get(entry))
                    )
            continue
        if key in _DEFAULTED and isinstance(value, dict) and isinstance(current, dict):
            current = {k: current.get(k) for k in value}
        if value != current:
            changes.append(FieldChange(key, current, value))
    return changes


def make_plan(deployment: Deployment, admin: PulsarAdmin, digests: Mapping[str, str]) -> Plan:
    """Create / update / unchanged for every function of the YAML, and delete for every live
    function of the YAML's tenants that the YAML no longer has."""
    plan = Plan()
    wanted_names = set()
    for spec in deployment.functions:
        wanted_names.add(spec.fqfn)
        config = function_config(spec, digests[spec.name])
        live = admin.get_function(spec.tenant, spec.namespace, spec.name)
        ident = (spec.tenant, spec.namespace, spec.name)
        if live is None:
            plan.changes.append(Change(Action.CREATE, *ident, spec=spec, config=config))
            continue
        fields = tuple(diff(config, live))
        action = Action.UPDATE if fields else Action.UNCHANGED
        plan.changes.append(Change(action, *ident, fields, spec=spec, config=config))
    for tenant in sorted({spec.tenant for spec in deployment.functions}):
        for namespace in sorted(admin.namespaces(tenant)):
            ns = namespace.split("/", 1)[1]
            for name in sorted(admin.list_functions(tenant, ns)):
                if f"{tenant}/{ns}/{name}" not in wanted_names:
                    plan.changes.append(Change(Action.DELETE, tenant, ns, name))
    return plan


def _upload_config(change: Change) -> dict[str, Any]:
    assert change.config is not None
    return {k: v for k, v in change.config.items() if k != "py"}  # the zip travels as `data`


def apply(
    plan: Plan,
    admin: PulsarAdmin,
    package: Callable[[FunctionSpec], Path],
    *,
    prune: bool,
    echo: Callable[[str], None],
) -> Plan:
    """Carry out ``plan``; returns the changes actually made. Idempotent: unchanged functions
    get no request, and deletions happen only with ``prune``."""
    blocked = [c for c in plan.of(Action.UPDATE) if c.immutable]
    if blocked:
        first = blocked[0]
        names = ", ".join(sorted({IMMUTABLE[k.split(".")[0]] for k in first.immutable}))
        raise DeployError(
            f"{first.fqfn}: {names} cannot be altered by an update; delete the function"
            f" first (hexa deploy delete {first.name}) and apply again"
        )
    writes = plan.of(Action.CREATE) + plan.of(Action.UPDATE)
    ensure_namespaces(admin, {(c.tenant, c.namespace) for c in writes})
    done = Plan()
    for change in writes:
        assert change.spec is not None
        if change.action is Action.CREATE:
            admin.create_function(_upload_config(change), package(change.spec))
        else:
            code = package(change.spec) if change.code_changed else None
            admin.update_function(_upload_config(change), code)
        echo(f"{change.action}d {change.fqfn}")
        done.changes.append(change)
    if prune:
        for change in plan.of(Action.DELETE):
            admin.delete_function(change.tenant, change.namespace, change.name)
            echo(f"deleted {change.fqfn}")
            done.changes.append(change)
    return done


def ensure_namespaces(admin: PulsarAdmin, wanted: set[tuple[str, str]]) -> None:
    """Create the missing tenants (on every cluster) and namespaces of ``wanted``."""
    if not wanted:
        return
    tenants = set(admin.tenants())
    clusters: list[str] | None = None
    for tenant in sorted({t for t, _ in wanted} - tenants):
        clusters = clusters or admin.clusters()
        admin.create_tenant(tenant, clusters)
    existing: dict[str, set[str]] = {}
    for tenant, namespace in sorted(wanted):
        if tenant not in existing:
            existing[tenant] = set(admin.namespaces(tenant))
        if f"{tenant}/{namespace}" not in existing[tenant]:
            admin.create_namespace(tenant, namespace)


def delete(
    deployment: Deployment, admin: PulsarAdmin, names: list[str], echo: Callable[[str], None]
) -> int:
    """Delete the named functions of the YAML (all when ``names`` is empty) that exist."""
    specs = [deployment.get(n) for n in names] if names else deployment.functions
    deleted = 0
    for spec in specs:
        if admin.get_function(spec.tenant, spec.namespace, spec.name) is None:
            echo(f"absent  {spec.fqfn}")
            continue
        admin.delete_function(spec.tenant, spec.namespace, spec.name)
        echo(f"deleted {spec.fqfn}")
        deleted += 1
    return deleted


@dataclass(frozen=True)
class FunctionState:
    fqfn: str
    deployed: bool
    instances: int = 0
    running: int = 0
    error: str = ""


def status(deployment: Deployment, admin: PulsarAdmin) -> list[FunctionState]:
    """What the worker reports for every function of the YAML."""
    states = []
    for spec in deployment.functions:
        if admin.get_function(spec.tenant, spec.namespace, spec.name) is None:
            states.append(FunctionState(spec.fqfn, deployed=False))
            continue
        report = admin.function_status(spec.tenant, spec.namespace, spec.name)
        errors = [str(i.get("status", {}).get("error") or "") for i in report.get("instances", [])]
        states.append(
            FunctionState(
                spec.fqfn,
                deployed=True,
                instances=int(report.get("numInstances", 0)),
                running=int(report.get("numRunning", 0)),
                error=next((e for e in errors if e), ""),
            )
        )
    return states
