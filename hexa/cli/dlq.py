"""``hexa dlq list|show|replay|purge TOPIC``: what the functions gave up on, and what to do next.

TOPIC is a dead-letter topic of ``deploy/functions.yaml``, by full name or by service
(``onboarding`` is ``persistent://hexabuilders/onboarding/dead-letters``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click
import pulsar
from rich.console import Console
from rich.table import Table

from hexa.cli import HexaGroup, fail
from hexa.cli.options import need_broker, pulsar_option
from hexa.dead_letters import (
    DeadLetter,
    DeadLetterError,
    PendingDeadLetters,
    Selection,
    purge,
    replay,
    resolve_topic,
)
from hexa.deployment import DeploymentError, load
from hexa.inspect import dumps, jsonable
from hexa.publisher import Publisher
from hexa.pulsar_client import new_client

F = TypeVar("F", bound=Callable[..., Any])


class _DeadLetterGroup(HexaGroup):
    """Bad input about dead letters (topic, filter, selector) is a one-line error, exit 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DeadLetterError as exc:
            fail(exc.reason, str(exc), code=2)


@click.group(cls=_DeadLetterGroup)
def dlq() -> None:
    """Dead letters with their reasons: list, show, replay to the original topic, purge.

    Listing never takes a dead letter off its queue; only replay and purge do.
    """


def _topic_argument(func: F) -> F:
    return click.argument("topic", metavar="TOPIC")(func)


def _json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")(func)


def _filters(func: F) -> F:
    func = click.option(
        "--reason", "reasons", multiple=True, metavar="R", help="Only this reason (repeatable)."
    )(func)
    return click.option(
        "--since",
        metavar="T",
        help="Only those that last failed at or after T: ISO 8601, or 30m / 2h / 1d ago.",
    )(func)


@contextmanager
def _pending(
    topic_name: str, pulsar_url: str | None
) -> Iterator[tuple[PendingDeadLetters, pulsar.Client]]:
    """The pending dead letters of TOPIC (and the client, to publish replays); a broker error
    becomes its one-line message."""
    try:
        topic = resolve_topic(topic_name, load())
    except DeploymentError as exc:
        fail("invalid_deployment", str(exc))
    endpoints = need_broker(pulsar_url)
    assert endpoints.pulsar_url is not None
    client = new_client(endpoints.pulsar_url)
    try:
        with PendingDeadLetters(client, topic) as pending:
            yield pending, client
    except pulsar.PulsarException as exc:
        fail("broker_error", f"{endpoints.pulsar_url}: {type(exc).__name__}: {exc}")
    finally:
        client.close()


def _table(letters: list[DeadLetter], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("#", "CloudEvent id", "type", "reason", "consumer", "attempts", "last failure"):
        table.add_column(column, overflow="fold")
    table.add_column("error", overflow="fold", max_width=60)
    for letter in letters:
        props = letter.properties
        table.add_row(
            str(letter.index),
            letter.ce_id or "-",
            (letter.ce_type or "-").rsplit(".", 1)[-1],
            letter.reason or "-",
            props.get("consumer", "-"),
            props.get("attempts", "-"),
            letter.last_failure_time.strftime("%Y-%m-%d %H:%M:%S"),
            props.get("error_message", "-"),
        )
    return table


@dlq.command("list")
@_topic_argument
@_filters
@_json_option
@pulsar_option
def list_dead_letters(
    topic: str, reasons: tuple[str, ...], since: str | None, as_json: bool, pulsar_url: str | None
) -> None:
    """The pending dead letters of TOPIC, oldest first, with their reasons.

    --json: {"topic": ..., "dead_letters": [{"index", "message_id", "key", "publish_time",
    "properties"}]}.
    """
    selection = Selection.of(reasons, since)
    with _pending(topic, pulsar_url) as (pending, _):
        letters = pending.select(selection)
        if as_json:
            click.echo(
                dumps({"topic": pending.topic, "dead_letters": [x.summary() for x in letters]})
            )
        else:
            Console().print(_table(letters, f"{pending.topic}: {len(letters)} dead letter(s)"))


@dlq.command()
@_topic_argument
@click.argument("selector", metavar="ID|INDEX")
@_json_option
@pulsar_option
def show(topic: str, selector: str, as_json: bool, pulsar_url: str | None) -> None:
    """One dead letter of TOPIC, by CloudEvent id or by its index in `hexa dlq list`, with its
    payload and every property.

    --json: the list entry plus "payload" (when the payload is JSON) or "payload_text".
    """
    with _pending(topic, pulsar_url) as (pending, _):
        detail = pending.find(selector).detail()
    if as_json:
        click.echo(dumps(detail))
        return
    plain = jsonable(detail)
    for name in ("index", "message_id", "key", "publish_time"):
        click.echo(f"{name}: {'-' if plain[name] is None else plain[name]}")
    for name, value in detail["properties"].items():
        click.echo(f"property {name}: {value}")
    if "payload" in detail:
        click.echo(json.dumps(detail["payload"], indent=2, ensure_ascii=False))
    else:
        click.echo(detail["payload_text"])


def _describe(letters: list[DeadLetter], verb: str, topic: str, as_json: bool) -> None:
    """What a dry run would act on."""
    if as_json:
        click.echo(dumps({"topic": topic, "dry_run": True, verb: [x.summary() for x in letters]}))
    else:
        Console().print(_table(letters, f"would be {verb}: {len(letters)} of {topic}"))


@dlq.command("replay")
@_topic_argument
@_filters
@click.option("--id", "ids", multiple=True, metavar="CE_ID", help="Only this event (repeatable).")
@click.option(
    "--rate",
    type=click.FloatRange(min=0, min_open=True),
    default=10.0,
    show_default=True,
    help="Messages per second at most.",
)
@click.option("--dry-run", is_flag=True, help="Show what would be replayed; change nothing.")
@_json_option
@pulsar_option
def replay_dead_letters(
    topic: str,
    reasons: tuple[str, ...],
    since: str | None,
    ids: tuple[str, ...],
    rate: float,
    dry_run: bool,
    as_json: bool,
    pulsar_url: str | None,
) -> None:
    """Republish the selected dead letters of TOPIC to their original topic, then remove them.

    The original bytes go out with their key and the ce_id/ce_type properties (plus
    hexa_replayed_from = the dead letter's message id), so the CloudEvent id is kept and a
    consumer that already processed the event only counts a duplicate.

    --json: {"topic", "dry_run", "replayed": [{"index", "ce_id", "original_topic",
    "dead_letter_message_id", "message_id"}]} (a dry run lists the dead letters instead).
    """
    selection = Selection.of(reasons, since, ids)
    with _pending(topic, pulsar_url) as (pending, client):
        letters = pending.select(selection)
        if dry_run:
            _describe(letters, "replayed", pending.topic, as_json)
            return
        publisher = Publisher(client)
        done = []
        try:
            for result in replay(pending, letters, publisher, rate=rate):
                done.append(result)
                if not as_json:
                    click.echo(
                        f"replayed {result.letter.index} {result.letter.ce_id or '-'}"
                        f" -> {result.letter.original_topic} ({result.message_id})",
                        err=True,
                    )
        finally:
            publisher.close()
    if as_json:
        replayed = [r.to_json() for r in done]
        click.echo(dumps({"topic": pending.topic, "dry_run": False, "replayed": replayed}))
    else:
        click.echo(f"replayed {len(done)} dead letter(s) from {pending.topic}")


@dlq.command("purge")
@_topic_argument
@_filters
@click.option("--id", "ids", multiple=True, metavar="CE_ID", help="Only this event (repeatable).")
@click.option("--dry-run", is_flag=True, help="Show what would be purged; change nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@_json_option
@pulsar_option
def purge_dead_letters(
    topic: str,
    reasons: tuple[str, ...],
    since: str | None,
    ids: tuple[str, ...],
    dry_run: bool,
    yes: bool,
    as_json: bool,
    pulsar_url: str | None,
) -> None:
    """Remove the selected dead letters of TOPIC for good, after a confirmation.

    --json: {"topic", "dry_run", "purged": [list entries]}.
    """
    selection = Selection.of(reasons, since, ids)
    with _pending(topic, pulsar_url) as (pending, _):
        letters = pending.select(selection)
        if dry_run:
            _describe(letters, "purged", pending.topic, as_json)
            return
        question = f"Purge {len(letters)} dead letter(s) from {pending.topic} for good?"
        if letters and not yes and not click.confirm(question, err=True):
            fail("aborted", "nothing purged")
        purge(pending, letters)
    if as_json:
        purged = [x.summary() for x in letters]
        click.echo(dumps({"topic": pending.topic, "dry_run": False, "purged": purged}))
    else:
        click.echo(f"purged {len(letters)} dead letter(s) from {pending.topic}")
