"""``hexa simulate``: realistic traffic through the whole matrix, then a state check."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager

import click
import pulsar
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from hexa.cli import fail
from hexa.cli.options import database_option, need_broker, need_database, pulsar_option
from hexa.publisher import Publisher
from hexa.pulsar_client import new_client
from hexa.simulate import Result, Simulation


@contextmanager
def progress_bar(console: Console) -> Iterator[Progress]:
    with Progress(
        TextColumn("{task.description:<32}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=not console.is_terminal,
    ) as bar:
        yield bar


def run_simulation(
    pulsar_url: str, database_url: str, partners: int, rate: float, seed: int, console: Console
) -> Result:
    """Run with a progress bar (one line per phase); shared by ``simulate`` and ``demo``."""
    client = new_client(pulsar_url)
    publisher = Publisher(client)
    try:
        with progress_bar(console) as bar:
            tasks: dict[str, TaskID] = {}

            def advance(phase: str, done: int, total: int) -> None:
                if phase not in tasks:
                    tasks[phase] = bar.add_task(phase, total=total)
                bar.update(tasks[phase], completed=done, total=total)

            return Simulation(
                publisher,
                database_url,
                partners=partners,
                rate=rate,
                seed=seed,
                progress=advance,
            ).run()
    finally:
        publisher.close()
        client.close()


def summary(result: Result) -> Table:
    table = Table(
        title=f"{len(result.partners)} partners, {result.sent} events sent"
        f" ({result.duplicates} duplicates) in {result.seconds:.1f}s"
    )
    table.add_column("check")
    table.add_column("expected", justify="right")
    table.add_column("actual", justify="right")
    table.add_column("", justify="center")
    for check in result.checks:
        table.add_row(
            check.name,
            str(check.expected),
            str(check.actual),
            "[green]ok[/]" if check.ok else "[red]MISMATCH[/]",
        )
    return table


@click.command()
@click.option(
    "--partners",
    type=click.IntRange(min=1, max=100_000),
    default=20,
    show_default=True,
    help="How many partner lives to play.",
)
@click.option(
    "--rate",
    type=click.FloatRange(min=0.1, max=100_000),
    default=200,
    show_default=True,
    help="Events per second, at most.",
)
@click.option("--seed", type=int, help="Same seed, same partners and events (default: random).")
@pulsar_option
@database_option
def simulate(
    partners: int, rate: float, seed: int | None, pulsar_url: str | None, database_url: str | None
) -> None:
    """Play the services around the functions for N partners, then check every context's
    state against what was sent. Exit 1 on any mismatch."""
    endpoints = need_broker(pulsar_url)
    db = need_database(database_url)
    assert endpoints.pulsar_url is not None
    seed = seed if seed is not None else random.SystemRandom().randrange(2**31)
    console = Console(stderr=True)
    console.print(f"seed {seed}")
    try:
        result = run_simulation(endpoints.pulsar_url, db, partners, rate, seed, console)
    except (TimeoutError, pulsar.PulsarException) as exc:
        fail("simulation_failed", str(exc))
    Console().print(summary(result))
    if not result.ok:
        raise click.exceptions.Exit(1)
