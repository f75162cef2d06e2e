"""Running ``hexa`` commands in tests as a user would, against one platform's servers."""

from __future__ import annotations

import json
from typing import Any

import click
from click.testing import CliRunner, Result

from hexa.devenv import DevEnvironment


def invoke(
    env: DevEnvironment, command: click.Command, *args: str, input: str | None = None
) -> Result:
    """Run ``command`` as a user would, against this platform's broker and database."""
    runner = CliRunner(
        env={
            "DATABASE_URL": env.stack.database_url,
            "PULSAR_SERVICE_URL": env.stack.pulsar_url,
            "COLUMNS": "250",
        }
    )
    return runner.invoke(command, list(args), input=input)


def run_json(env: DevEnvironment, command: click.Command, *args: str) -> Any:
    result = invoke(env, command, *args, "--json")
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout)


def assert_bad_input(result: Result, reason: str, *fragments: str) -> None:
    assert result.exit_code == 2, (result.output, result.exception)
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {reason}: ")
    for fragment in fragments:
        assert fragment in line
