"""``hexa up`` and ``hexa localrun``: the functions on a local host, until Ctrl-C/SIGTERM."""

from __future__ import annotations

import signal
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

import click

from hexa.cli import fail
from hexa.deployment import DeploymentError, load
from hexa.devenv import DevEnvironment
from hexa.runtime.instance import Compat, RuntimeOptions
from hexa.runtime.logs import configure_logging
from hexa.stack import StackError

_home = click.option(
    "--home",
    type=click.Path(path_type=Path),
    envvar="HEXA_HOME",
    help="Data of the embedded broker and database (default: HEXA_HOME).",
)
_port = click.option(
    "--http-port",
    type=int,
    default=0,
    show_default=True,
    help="Port of /metrics and /health (0: any free port).",
)
_compat = click.option(
    "--compat",
    type=click.Choice([c.value for c in Compat]),
    default=Compat.MASTER.value,
    show_default=True,
    help="Which Pulsar Python runtime to reproduce where they differ.",
)
_log_level = click.option("--log-level", default="INFO", show_default=True)


def _until_signal() -> None:
    stop = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def _serve(names: Sequence[str] | None, home: Path | None, http_port: int, compat: str) -> None:
    try:
        deployment = load()
        for name in names or ():
            deployment.get(name)
    except DeploymentError as exc:
        fail("invalid_deployment", str(exc), code=2)
    env = DevEnvironment(
        home=home,
        names=names,
        deployment=deployment,
        http_port=http_port,
        options=RuntimeOptions(compat=Compat(compat)),
    )
    try:
        _run(env)
    except StackError as exc:
        fail("stack_failed", str(exc))


def _run(env: DevEnvironment) -> None:
    with env:
        assert env.host is not None and env.timings is not None
        ep = env.endpoints
        click.echo(f"broker       {ep.pulsar_url}")
        click.echo(f"database     {ep.database_url}")
        click.echo(f"metrics      {ep.metrics_url}")
        click.echo(f"health       {ep.health_url}")
        click.echo(
            f"{len(env.host.instances)} function instance(s) of {len(env.host.specs)} function(s)"
            f" up in {env.timings.total_s:.2f}s (stack {env.timings.stack_s:.2f}s, migrations"
            f" {env.timings.migrate_s:.2f}s, functions {env.timings.functions_s:.2f}s);"
            " Ctrl-C stops",
            err=True,
        )
        _until_signal()
        click.echo("stopping...", err=True)


@click.command()
@_home
@_port
@_compat
@_log_level
def up(home: Path | None, http_port: int, compat: str, log_level: str) -> None:
    """Start the embedded broker and PostgreSQL (unless PULSAR_SERVICE_URL / DATABASE_URL say
    otherwise), apply migrations and run every function of deploy/functions.yaml."""
    configure_logging(log_level)
    _serve(None, home, http_port, compat)


@click.command()
@click.argument("name")
@_home
@_port
@_compat
@_log_level
def localrun(name: str, home: Path | None, http_port: int, compat: str, log_level: str) -> None:
    """Run one function, like `pulsar-admin functions localrun`."""
    configure_logging(log_level)
    _serve([name], home, http_port, compat)
