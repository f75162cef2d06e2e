"""``hexa events``: the catalogue as the registry sees it, and a validator for envelopes."""

from __future__ import annotations

import json
from typing import IO, Any

import click
from rich.console import Console
from rich.table import Table

from hexa.schemas import render
from shared.envelope import DEFAULT_MAX_BYTES
from shared.events import REGISTRY, EventSpec

_COLUMNS = ("type", "topic", "key", "version", "producer", "consumers")


@click.group()
def events() -> None:
    """The event catalogue: list it, show an event's schema, validate an envelope."""


def _row(spec: EventSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "type": spec.type,
        "topic": spec.topic,
        "key": spec.key_field,
        "version": spec.version,
        "producer": spec.producer,
        "consumers": list(spec.consumers),
    }


@events.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of a table.")
def list_events(as_json: bool) -> None:
    """Every event: CloudEvents type, topic, idempotency key, version, producer, consumers."""
    rows = [_row(spec) for spec in REGISTRY]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table()
    for column in _COLUMNS:
        table.add_column(column.capitalize(), overflow="fold")  # never cut a name short
    for row in rows:
        cells = {**row, "consumers": ", ".join(row["consumers"]) or "-"}
        table.add_row(*(str(cells[column]) for column in _COLUMNS))
    Console().print(table)


@events.command()
@click.argument("event_type", metavar="TYPE")
def schema(event_type: str) -> None:
    """The JSON Schema of TYPE's data (full CloudEvents type or short event name)."""
    click.echo(render(REGISTRY.get(event_type)), nl=False)


@events.command()
@click.argument("file", type=click.File("rb"), metavar="FILE|-")
@click.option(
    "--max-bytes",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_BYTES,
    show_default=True,
    help="Largest payload accepted, as the functions' max_event_bytes.",
)
def validate(file: IO[bytes], max_bytes: int) -> None:
    """Validate one structured-mode CloudEvent (a file, or - for stdin) as a consumer would."""
    decoded = REGISTRY.decode(file.read(), max_bytes)
    spec = decoded.spec
    click.echo(f"ok: {spec.type} id={decoded.event.id} key={spec.idempotency_key(decoded.data)}")
