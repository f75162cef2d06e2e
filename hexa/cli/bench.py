"""``hexa bench``: the benchmark suite; writes BENCHMARKS.md."""

from __future__ import annotations

import os
from pathlib import Path

import click

from hexa.bench import render_markdown, run_all
from hexa.paths import ROOT


@click.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=ROOT / "BENCHMARKS.md",
    show_default=True,
    help="Where to write the results.",
)
def bench(out: Path) -> None:
    """Measure envelope, inbox, end-to-end throughput, start-up and memory against baselines
    taken in the same run (embedded broker and PostgreSQL, started and stopped here)."""
    for name in ("PULSAR_SERVICE_URL", "DATABASE_URL"):
        os.environ.pop(name, None)  # always the embedded servers: comparable runs
    results = run_all(lambda name: click.echo(f"benchmark: {name}", err=True))
    text = render_markdown(results, "hexa bench")
    out.write_text(text)
    click.echo(text)
