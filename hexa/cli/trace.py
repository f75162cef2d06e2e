"""``hexa trace CORRELATION_ID``: one business flow, hop by hop, from the inbox ledger."""

from __future__ import annotations

import click
from rich.console import Console

from hexa.cli import fail
from hexa.cli.options import database_option, need_database
from hexa.inspect import dumps
from hexa.trace import TraceError, render
from hexa.trace import trace as read_trace


@click.command()
@click.argument("correlation_id", metavar="CORRELATION_ID")
@click.option("--json", "as_json", is_flag=True, help="Print the tree as JSON (described above).")
@database_option
def trace(correlation_id: str, as_json: bool, database_url: str | None) -> None:
    """The causation tree of one business flow across every function: each event, who
    consumed it and how that went (processed, duplicate, retried, dead-lettered), and the
    events each consumption produced.

    \b
    --json prints (keys sorted, times ISO 8601 in UTC, absent values null):
      {"correlation_id": str,
       "summary": {"events", "consumptions", "processed", "duplicate", "retried",
                   "dead-lettered": int},
       "roots": [EVENT, ...]}           first seen first
    EVENT = {"event_id", "event_type", "causation_id", "topic",
             "consumptions": [CONSUMPTION, ...]}   by consumer name
    CONSUMPTION = {"consumer",
       "outcome": "processed" | "dead-lettered" | "retried"   (where it stands),
       "outcomes": [...]   what happened, in the order retried, dead-lettered,
                           processed, duplicate,
       "duplicates": int, "failed_attempts": int,
       "received_at", "completed_at", "last_duplicate_at",
       "first_failure_at", "last_failure_at", "last_error",
       "dead_letters": [{"reason", "error_class", "error_message",
                         "dead_letter_topic", "attempts", "dead_lettered_at"}],
       "produced": [EVENT, ...]}       in the order the consumer produced them
    """
    try:
        result = read_trace(need_database(database_url), correlation_id)
    except TraceError as exc:
        fail("unknown_correlation_id", str(exc), code=2)
    if as_json:
        click.echo(dumps(result.to_json()))
    else:
        Console().print(render(result))
