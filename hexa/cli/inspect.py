"""``hexa inspect VIEW``: one context's state as tables, or as the same document in JSON.

One command per view, all built by ``_view_command`` so their options and errors cannot drift.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from hexa.cli import HexaGroup, fail
from hexa.cli.options import database_option, need_database
from hexa.inspect import VIEWS, Document, InspectError, View, check_partner_id, dumps
from hexa.inspect import inspect as read_view

# What fits a terminal; ``--json`` always has every column.
_TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "partners": (
        "partner_id",
        "status",
        "contract_type",
        "hires",
        "recruitment_cost",
        "average_time_to_hire",
        "matches",
        "campaign_reports",
        "latest_roi",
        "budget_alerts",
        "critical_alerts",
    ),
    "contracts": (
        "partner_id",
        "contract_id",
        "contract_type",
        "status",
        "template_name",
        "commission_pct",
        "activated",
        "effective_date",
        "expiration_date",
    ),
    "jobs": ("partner_id", "title", "status", "experience_level", "urgency", "matches"),
    "campaign_permissions": (
        "partner_id",
        "campaign_creation_enabled",
        "campaigns_enabled",
        "contract_type",
        "permissions",
        "budget_limits",
        "validation_outcome",
    ),
    "partner_metrics": (
        "partner_id",
        "successful_hires",
        "total_recruitment_cost",
        "average_time_to_hire",
        "candidate_matches",
        "campaign_reports",
        "latest_roi",
        "budget_alerts",
        "critical_alerts",
    ),
    "functions": (
        "consumer",
        "processed",
        "duplicates",
        "failed_messages",
        "failed_attempts",
        "dead_letters",
        "dead_letters_by_reason",
    ),
}


@click.group(cls=HexaGroup)
def inspect() -> None:
    """The state of each bounded context, as tables or JSON (--json: sorted keys, ISO times
    in UTC, decimals as strings)."""


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={v}" for k, v in sorted(value.items()))
    if isinstance(value, list | tuple):
        return "\n".join(_match(v) if isinstance(v, Mapping) else str(v) for v in value)
    return str(value)


def _match(match: Mapping[str, Any]) -> str:
    return f"{match['rank']}. {match['candidate_name']} ({match['score']})"


def _print_tables(document: Document) -> None:
    console = Console()
    for section, rows in document.items():
        columns = _TABLE_COLUMNS[section]
        table = Table(title=f"{section.replace('_', ' ')} ({len(rows)})", title_justify="left")
        for column in columns:
            table.add_column(column.replace("_", " "), overflow="fold")
        for row in rows:
            table.add_row(*(_cell(row[column]) for column in columns))
        console.print(table)


def _view_command(view: View) -> click.Command:
    @click.command(name=view.name, help=view.summary)
    @click.option("--partner-id", metavar="UUID", help="Only this partner (must be known).")
    @click.option("--json", "as_json", is_flag=True, help="Print the document as JSON.")
    @database_option
    def command(partner_id: str | None, as_json: bool, database_url: str | None) -> None:
        try:
            # Checked before looking for a database: bad input is reported as such.
            partner = check_partner_id(partner_id) if partner_id is not None else None
            document = read_view(need_database(database_url), view, partner)
        except InspectError as exc:
            fail(exc.reason, str(exc), code=2)
        if as_json:
            click.echo(dumps(document))
        else:
            _print_tables(document)

    return command


for _view in VIEWS:
    inspect.add_command(_view_command(_view))
