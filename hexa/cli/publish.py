"""``hexa publish``: validate event data, wrap it in a CloudEvent and publish it.

``build_envelope`` builds what both ``--dry-run`` prints and the real publish sends, so the
two can never differ.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pulsar

from hexa.cli import fail
from hexa.cli.options import need_broker, pulsar_option
from hexa.publisher import Publisher
from hexa.pulsar_client import new_client
from shared.envelope import CloudEvent, load_json, serialize
from shared.events import REGISTRY


def read_data(value: str) -> Any:
    """The ``--data`` value: inline JSON, or ``@path`` to read it from a file."""
    if not value.startswith("@"):
        # Undecodable bytes in argv arrive as surrogate escapes: give them back for the check.
        return load_json(value.encode(errors="surrogateescape"))
    path = Path(value[1:])
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise click.BadParameter(
            f"cannot read {path}: {exc.strerror}", param_hint="--data"
        ) from None
    return load_json(raw)


def build_envelope(event_type: str, data: Any, *, correlation_id: str | None = None) -> CloudEvent:
    """A root event of ``event_type`` (type or short name) for ``data``, checked end to end.

    The serialised event goes through the consumers' own decoder, so what would be published
    is exactly what they accept (including the size limit), never a future dead letter.
    """
    spec = REGISTRY.get(event_type)
    event = REGISTRY.new(spec.parse_data(data), correlationid=correlation_id)
    REGISTRY.decode(serialize(event))
    return event


@click.command()
@click.argument("event_type", metavar="TYPE")
@click.option("--data", "data", required=True, metavar="JSON|@FILE", help="The event's data.")
@click.option("--correlation-id", help="Join an existing business flow (default: the new id).")
@click.option("--dry-run", is_flag=True, help="Print the envelope instead of publishing it.")
@pulsar_option
def publish(
    event_type: str, data: str, correlation_id: str | None, dry_run: bool, pulsar_url: str | None
) -> None:
    """Validate DATA against TYPE's model (type or short name), wrap it and publish it.

    Prints the new event's id (its correlation id too, when it starts a flow).
    """
    event = build_envelope(event_type, read_data(data), correlation_id=correlation_id)
    if dry_run:
        click.echo(json.dumps(event.to_dict(), indent=2, ensure_ascii=False))
        return
    endpoints = need_broker(pulsar_url)
    assert endpoints.pulsar_url is not None
    client = new_client(endpoints.pulsar_url)
    try:
        publisher = Publisher(client)
        try:
            publisher.publish(event)
        finally:
            publisher.close()
    except pulsar.PulsarException as exc:
        fail("publish_failed", f"{endpoints.pulsar_url}: {exc}")
    finally:
        client.close()
    click.echo(event.id)
