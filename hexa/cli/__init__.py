"""The ``hexa`` command line: one module per command group, wired together in ``main``.

Scripts, the docs and the benchmarks key on one contract: bad input prints a single
``error: <reason>: <message>`` line on stderr and exits 1, usage errors exit 2 (click's
default).  The helpers here keep every command module from re-implementing it.
"""

from __future__ import annotations

from typing import Any, NoReturn

import click

from shared.errors import HexaError

INVALID_INPUT = 1


def error_line(reason: str, message: str) -> None:
    """Print one error line; for commands that report several problems before exiting."""
    click.echo(f"error: {reason}: {' '.join(message.splitlines())}", err=True)


def fail(reason: str, message: str, code: int = INVALID_INPUT) -> NoReturn:
    """Print one error line and exit with ``code``."""
    error_line(reason, message)
    raise click.exceptions.Exit(code)


class HexaGroup(click.Group):
    """A group that reports a ``HexaError`` raised by any command below it through ``fail``.

    Commands can then call ``shared`` (which raises ``PermanentError``/``TransientError`` with a
    reason code) without wrapping each call.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except HexaError as exc:
            fail(exc.reason, exc.message)
