"""``hexa docs asyncapi``: the AsyncAPI 3.0 document of every topic and event."""

from __future__ import annotations

import json
from pathlib import Path

import click
import yaml

from hexa.asyncapi import document
from hexa.deployment import load


@click.group()
def docs() -> None:
    """Documents generated from the catalogue and the deploy file."""


@docs.command()
@click.option(
    "--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True
)
@click.option("--out", type=click.Path(path_type=Path), help="Write to a file, not stdout.")
def asyncapi(fmt: str, out: Path | None) -> None:
    """AsyncAPI 3.0: channels (topics), messages (events), send/receive operations."""
    doc = document(load())
    text = (
        json.dumps(doc, indent=2) + "\n"
        if fmt == "json"
        else yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    )
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text)
