"""``hexa pulsar``: a real Apache Pulsar standalone from the jars on Maven Central.

``start`` returns once the admin API and the functions worker answer and leaves the broker
running in the background; ``stop`` and ``status`` find it again through its pid file under
``$HEXA_HOME/pulsar/standalone``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

from hexa.cli import fail
from hexa.pulsar_standalone import (
    PulsarStandalone,
    StandaloneError,
    admin_command,
    pulsar_version,
    write_client_conf,
)
from hexa.stack import default_home

NOT_RUNNING = 3
"""``status`` exit code when stopped, as LSB init scripts use it."""

_home = click.option(
    "--home",
    type=click.Path(path_type=Path),
    envvar="HEXA_HOME",
    help="Jar cache and standalone data (default: HEXA_HOME).",
)


def _standalone(home: Path | None, token_auth: bool = False) -> PulsarStandalone:
    return PulsarStandalone(home or default_home(), token_auth=token_auth)


@click.group()
def pulsar() -> None:
    """A real Apache Pulsar standalone (broker, bookie, functions worker) on loopback."""


@pulsar.command()
@_home
@click.option(
    "--token-auth",
    is_flag=True,
    help="Require a JWT on every request; the admin token is written next to the data.",
)
@click.option("--timeout", type=float, default=240, show_default=True, help="Seconds to wait.")
def start(home: Path | None, token_auth: bool, timeout: float) -> None:
    """Assemble the pinned release (first time only: Maven) and start it in the background."""
    standalone = _standalone(home, token_auth)
    click.echo(f"Apache Pulsar {pulsar_version()} in {standalone.run_dir}", err=True)
    started = time.monotonic()
    try:
        standalone.start(timeout)
    except StandaloneError as exc:
        fail("pulsar_start_failed", str(exc))
    _print_status(standalone)
    click.echo(f"ready in {time.monotonic() - started:.1f}s", err=True)


@pulsar.command()
@_home
def stop(home: Path | None) -> None:
    """Stop the standalone started from this home (SIGTERM, SIGKILL after 60 s)."""
    standalone = _standalone(home)
    try:
        stopped = standalone.stop()
    except StandaloneError as exc:
        fail("pulsar_stop_failed", str(exc))
    click.echo("stopped" if stopped else "not running")


@pulsar.command()
@_home
def status(home: Path | None) -> None:
    """Pid, URLs, memory and log of the standalone; exit code 3 when it is not running."""
    standalone = _standalone(home)
    if not standalone.ports_file.exists() or not standalone.running:
        click.echo("not running")
        raise click.exceptions.Exit(NOT_RUNNING)
    _print_status(standalone)


def _print_status(standalone: PulsarStandalone) -> None:
    state = standalone.status()
    rss = f"{state.rss_mib:.0f} MiB" if state.rss_mib is not None else "?"
    click.echo(f"pid          {state.pid} (RSS {rss})")
    click.echo(f"admin        {state.admin_url}")
    click.echo(f"service      {state.service_url}")
    click.echo(f"log          {state.log}")
    if state.token_file is not None:
        click.echo(f"token        {state.token_file}")


@pulsar.command(
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@_home
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def admin(home: Path | None, args: tuple[str, ...]) -> None:
    """Run `pulsar-admin ARGS...` of the same release.

    It talks to PULSAR_ADMIN_URL (with PULSAR_AUTH_TOKEN) when set, else to the standalone
    started from this home.
    """
    standalone = _standalone(home)
    with tempfile.TemporaryDirectory(prefix="hexa-pulsar-admin-") as scratch:
        url = os.environ.get("PULSAR_ADMIN_URL")
        if url:
            conf = Path(scratch) / "client.conf"
            values = {"webServiceUrl": url}
            token = os.environ.get("PULSAR_AUTH_TOKEN")
            if token:
                values["authPlugin"] = "org.apache.pulsar.client.impl.auth.AuthenticationToken"
                values["authParams"] = f"token:{token}"
            write_client_conf(conf, values)
        elif standalone.client_conf.exists():
            conf = standalone.client_conf
        else:
            fail("no_admin_url", "set PULSAR_ADMIN_URL or run `hexa pulsar start` first", code=2)
        try:
            command = admin_command(standalone.home, conf, args)
        except StandaloneError as exc:
            fail("pulsar_assemble_failed", str(exc))
        result = subprocess.run(command, check=False, stdin=sys.stdin)
    raise click.exceptions.Exit(result.returncode)
