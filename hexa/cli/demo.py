"""``hexa demo``: the whole HexaBuilders flow on a fresh local platform, with a report."""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import click
from rich.console import Console

from hexa.cli import fail
from hexa.cli.simulate import run_simulation, summary
from hexa.demo import render_report
from hexa.devenv import DevEnvironment
from hexa.runtime.logs import configure_logging
from hexa.stack import StackError


@click.command()
@click.option("--partners", type=click.IntRange(min=1, max=10_000), default=12, show_default=True)
@click.option(
    "--rate",
    type=click.FloatRange(min=0.1),
    default=300,
    show_default=True,
    help="Events per second, at most.",
)
@click.option("--seed", type=int, default=2025, show_default=True)
@click.option(
    "--home",
    type=click.Path(path_type=Path),
    help="Keep the data here (default: a fresh directory, removed at the end).",
)
def demo(partners: int, rate: float, seed: int, home: Path | None) -> None:
    """Start the platform (embedded broker, PostgreSQL, SNS, every function), play N partners
    through the whole communication matrix, print a report, stop everything.

    Exit 0 only when every flow completed and every context's state matches what was sent.
    """
    began = time.perf_counter()
    configure_logging("WARNING")
    # Piped (as under `make demo | tee`), rich would squeeze the report into 80 columns.
    console = Console(width=None if sys.stdout.isatty() else 130)
    scratch = home is None
    data = home or Path(tempfile.mkdtemp(prefix="hexa-demo-", dir="/tmp"))
    try:
        with DevEnvironment(home=data, record_state=False) as env:
            assert env.timings is not None and env.host is not None
            console.print(
                f"[bold]HexaBuilders platform up[/] in {env.timings.total_s:.2f}s:"
                f" {len(env.host.instances)} function instances, broker"
                f" {env.stack.pulsar_url}, metrics {env.host.metrics_url}"
            )
            try:
                result = run_simulation(
                    env.stack.pulsar_url,
                    env.stack.database_url,
                    partners,
                    rate,
                    seed,
                    Console(stderr=True),
                )
            except TimeoutError as exc:
                fail("demo_failed", str(exc))
            console.print(summary(result))
            console.print(render_report(env, result))
    except StackError as exc:
        fail("stack_failed", str(exc))
    finally:
        if scratch:
            shutil.rmtree(data, ignore_errors=True)
    verdict = "every flow completed" if result.ok else "MISMATCH: see the checks above"
    console.print(f"[bold]{verdict}[/] ({time.perf_counter() - began:.1f}s in all)")
    if not result.ok:
        raise click.exceptions.Exit(1)
