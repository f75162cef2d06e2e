"""``hexa db migrate``: apply the SQL migrations (idempotent)."""

from __future__ import annotations

import click

from hexa.cli import fail
from hexa.cli.options import database_option, need_database
from hexa.paths import MIGRATIONS
from shared.db import MigrationError
from shared.db import migrate as apply_migrations


@click.group()
def db() -> None:
    """The PostgreSQL schema of every context and of the ledger."""


@db.command()
@database_option
def migrate(database_url: str | None) -> None:
    """Apply every migration not applied yet; running it twice changes nothing."""
    try:
        applied = apply_migrations(need_database(database_url), MIGRATIONS)
    except MigrationError as exc:
        fail("migration_failed", str(exc))
    if applied:
        for name in applied:
            click.echo(f"applied {name}")
    else:
        click.echo("up to date")
