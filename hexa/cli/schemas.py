"""``hexa schemas``: keep ``schemas/`` (the released contract of every event version) honest."""

from __future__ import annotations

from pathlib import Path

import click

from hexa.cli import INVALID_INPUT, error_line
from hexa.schemas import SCHEMAS_DIR, Report, Status, check, write
from shared.events import REGISTRY

_directory = click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=SCHEMAS_DIR,
    show_default=True,
    help="Where the committed schemas live.",
)


@click.group()
def schemas() -> None:
    """The committed JSON Schema of every event version, against the models."""


@schemas.command("check")
@_directory
def check_command(directory: Path) -> None:
    """Fail on an incompatible model change without a new version, or a missing/stale file."""
    failed = [
        r for r in (check(spec, directory) for spec in REGISTRY) if r.status != Status.CURRENT
    ]
    for report in failed:
        _explain(report)
    if failed:
        raise click.exceptions.Exit(INVALID_INPUT)
    click.echo(f"{len(REGISTRY)} event schemas match {directory}")


@schemas.command("write")
@_directory
def write_command(directory: Path) -> None:
    """Write the schema of every current event version that is missing or stale.

    Refuses an incompatible change: release it as a new version instead.
    """
    reports = [write(spec, directory) for spec in REGISTRY]
    for report in reports:
        if report.status == Status.INCOMPATIBLE:
            _explain(report)
        elif report.status != Status.CURRENT:
            click.echo(f"wrote {report.path}")
    if any(r.status == Status.INCOMPATIBLE for r in reports):
        raise click.exceptions.Exit(INVALID_INPUT)


def _explain(report: Report) -> None:
    spec, reason = report.spec, f"{report.status}_schema"
    event = f"{spec.name} v{spec.version}"
    if report.status == Status.INCOMPATIBLE:
        for problem in report.incompatibilities:
            error_line(reason, f"{event}: {problem}; release it as v{spec.version + 1}")
    elif report.status == Status.STALE:
        error_line(reason, f"{event}: {report.path} is out of date: run `hexa schemas write`")
    else:
        error_line(reason, f"{event}: {report.path} does not exist: run `hexa schemas write`")
