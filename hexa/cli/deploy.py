"""``hexa deploy``: validate, render, package, plan, apply, delete and status of
``deploy/functions.yaml`` against a Pulsar functions worker's admin REST API.

Everything that talks to the worker validates first, so a refused setting stops the command
before its first request. The admin URL comes from ``--admin-url``, else ``PULSAR_ADMIN_URL``,
else a standalone started with ``hexa pulsar start`` (with its token).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from hexa.cli import error_line, fail
from hexa.deploy import DeployError
from hexa.deploy.admin import AdminSettings, PulsarAdmin
from hexa.deploy.package import PipWheels, Target, build, package_digest
from hexa.deploy.plan import Action, Plan, apply, delete, make_plan, status
from hexa.deploy.render import render
from hexa.deploy.validate import validate
from hexa.deployment import DEFAULT_PATH, Deployment, DeploymentError, FunctionSpec, load
from hexa.pulsar_standalone import PulsarStandalone
from hexa.stack import default_home

F = TypeVar("F", bound=Callable[..., Any])


def _deploy_file(func: F) -> F:
    return click.option(
        "--file",
        "deploy_file",
        type=click.Path(path_type=Path, dir_okay=False),
        default=DEFAULT_PATH,
        show_default=True,
        help="The deployment file.",
    )(func)


def _target_options(func: F) -> F:
    func = click.option(
        "--platform",
        "platforms",
        multiple=True,
        default=Target().platforms,
        show_default=True,
        help="Wheel platform tag of the workers (repeatable).",
    )(func)
    func = click.option(
        "--python-version",
        default=Target().python_version,
        show_default=True,
        help="Python of the workers' instances.",
    )(func)
    return click.option(
        "--wheel-cache",
        type=click.Path(path_type=Path, file_okay=False),
        help="Downloaded wheels (default: HEXA_HOME/wheels).",
    )(func)


def _admin_options(func: F) -> F:
    for decorator in reversed(
        (
            click.option("--admin-url", envvar="PULSAR_ADMIN_URL", help="Pulsar admin REST API."),
            click.option("--token", envvar="PULSAR_AUTH_TOKEN", help="JWT for the admin API."),
            click.option("--tls-ca-file", type=click.Path(path_type=Path, dir_okay=False)),
            click.option("--tls-cert-file", type=click.Path(path_type=Path, dir_okay=False)),
            click.option("--tls-key-file", type=click.Path(path_type=Path, dir_okay=False)),
            click.option("--tls-allow-insecure", is_flag=True, help="Skip certificate checks."),
            click.option("--timeout", type=float, default=30, show_default=True),
        )
    ):
        func = decorator(func)
    return func


def _load(deploy_file: Path) -> Deployment:
    """The deployment, refused with every problem listed when it does not validate."""
    try:
        deployment = load(deploy_file)
    except DeploymentError as exc:
        fail("invalid_deployment", str(exc))
    problems = validate(deployment)
    if problems:
        for problem in problems:
            error_line("invalid_deployment", str(problem))
        raise click.exceptions.Exit(1)
    return deployment


def _admin(
    admin_url: str | None,
    token: str | None,
    tls_ca_file: Path | None,
    tls_cert_file: Path | None,
    tls_key_file: Path | None,
    tls_allow_insecure: bool,
    timeout: float,
) -> PulsarAdmin:
    if not admin_url:
        standalone = PulsarStandalone(default_home())
        if not standalone.ports_file.exists() or not standalone.running:
            fail("no_admin_url", "set PULSAR_ADMIN_URL or run `hexa pulsar start`", code=2)
        admin_url, token = standalone.admin_url, token or standalone.token
    return PulsarAdmin(
        AdminSettings(
            admin_url,
            token or None,
            tls_ca_file,
            tls_cert_file,
            tls_key_file,
            tls_allow_insecure,
            timeout,
        )
    )


def _target(platforms: tuple[str, ...], python_version: str) -> Target:
    return Target(tuple(platforms), python_version)


def _wheels(wheel_cache: Path | None) -> PipWheels:
    return PipWheels(wheel_cache or default_home() / "wheels")


def _digests(deployment: Deployment, target: Target) -> dict[str, str]:
    return {spec.name: package_digest(spec, target) for spec in deployment.functions}


class _DeployGroup(click.Group):
    """Reports a ``DeployError`` from any subcommand as one line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DeployError as exc:
            fail("deploy_failed", str(exc))


@click.group(cls=_DeployGroup)
def deploy() -> None:
    """Deploy deploy/functions.yaml to a Pulsar functions worker (admin REST API)."""


@deploy.command("validate")
@_deploy_file
def validate_command(deploy_file: Path) -> None:
    """Check the YAML against the function classes, the registry and the worker's refusals."""
    deployment = _load(deploy_file)
    click.echo(f"ok: {len(deployment.functions)} function(s) in {deploy_file}")


@deploy.command("render")
@_deploy_file
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True)
@_target_options
def render_command(
    deploy_file: Path,
    out: Path,
    platforms: tuple[str, ...],
    python_version: str,
    wheel_cache: Path | None,
) -> None:
    """One FunctionConfig YAML per function, for `pulsar-admin functions create
    --function-config-file` run from the directory holding the packages."""
    deployment = _load(deploy_file)
    for path in render(deployment, out, _digests(deployment, _target(platforms, python_version))):
        click.echo(str(path))


@deploy.command("package")
@_deploy_file
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True)
@click.argument("names", nargs=-1)
@_target_options
def package_command(
    deploy_file: Path,
    out: Path,
    names: tuple[str, ...],
    platforms: tuple[str, ...],
    python_version: str,
    wheel_cache: Path | None,
) -> None:
    """Build <name>.zip (src/ + deps/ wheels for the target) for NAMES, or every function."""
    deployment = _load(deploy_file)
    target, wheels = _target(platforms, python_version), _wheels(wheel_cache)
    specs = [deployment.get(n) for n in names] if names else deployment.functions
    for spec in specs:
        click.echo(str(build(spec, out, target, wheels)))


def _print_plan(plan: Plan, prune: bool) -> None:
    for change in plan.changes:
        suffix = ""
        if change.action is Action.DELETE and not prune:
            suffix = "  (kept: no --prune)"
        elif change.immutable:
            suffix = "  (cannot be updated in place: delete it first)"
        click.echo(f"{change.action.value:<9} {change.fqfn}{suffix}")
        for f in change.fields:
            click.echo(f"    {f.key}: {f.live!r} -> {f.wanted!r}")
    counts = plan.counts()
    click.echo(", ".join(f"{counts[a]} {a.value}" for a in Action), err=True)


@deploy.command("plan")
@_deploy_file
@_admin_options
@_target_options
@click.option("--prune", is_flag=True, help="Say which deletions apply --prune would make.")
def plan_command(
    deploy_file: Path,
    platforms: tuple[str, ...],
    python_version: str,
    wheel_cache: Path | None,
    prune: bool,
    **admin: Any,
) -> None:
    """Create / update / unchanged / delete per function, from a field-by-field diff."""
    deployment = _load(deploy_file)
    digests = _digests(deployment, _target(platforms, python_version))
    _print_plan(make_plan(deployment, _admin(**admin), digests), prune)


@deploy.command("apply")
@_deploy_file
@_admin_options
@_target_options
@click.option("--prune", is_flag=True, help="Also delete live functions the YAML no longer has.")
@click.option(
    "--package-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where the zips are built (default: HEXA_HOME/deploy/packages).",
)
def apply_command(
    deploy_file: Path,
    platforms: tuple[str, ...],
    python_version: str,
    wheel_cache: Path | None,
    prune: bool,
    package_dir: Path | None,
    **admin: Any,
) -> None:
    """Create, update (and with --prune delete) until the worker matches the YAML."""
    deployment = _load(deploy_file)
    target, wheels = _target(platforms, python_version), _wheels(wheel_cache)
    client = _admin(**admin)
    plan = make_plan(deployment, client, _digests(deployment, target))
    out = package_dir or default_home() / "deploy" / "packages"

    def package(spec: FunctionSpec) -> Path:
        return build(spec, out, target, wheels)

    done = apply(plan, client, package, prune=prune, echo=click.echo)
    unchanged = len(plan.of(Action.UNCHANGED))
    click.echo(f"{len(done.changes)} change(s), {unchanged} unchanged", err=True)


@deploy.command("delete")
@_deploy_file
@_admin_options
@click.argument("names", nargs=-1)
def delete_command(deploy_file: Path, names: tuple[str, ...], **admin: Any) -> None:
    """Delete NAMES (or every function of the YAML) from the worker."""
    try:
        deployment = load(deploy_file)
        count = delete(deployment, _admin(**admin), list(names), click.echo)
    except DeploymentError as exc:
        fail("invalid_deployment", str(exc))
    click.echo(f"{count} deleted", err=True)


@deploy.command("status")
@_deploy_file
@_admin_options
def status_command(deploy_file: Path, **admin: Any) -> None:
    """What the worker reports for every function: instances running, first error."""
    try:
        deployment = load(deploy_file)
    except DeploymentError as exc:
        fail("invalid_deployment", str(exc))
    for state in status(deployment, _admin(**admin)):
        if not state.deployed:
            click.echo(f"absent    {state.fqfn}")
            continue
        error = f"  error: {state.error}" if state.error else ""
        click.echo(f"{state.running}/{state.instances} running  {state.fqfn}{error}")
