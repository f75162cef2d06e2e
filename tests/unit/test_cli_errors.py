"""Failures of the environment a command needs are one line, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from hexa.cli.main import main

UNREACHABLE = "postgresql://nobody@127.0.0.1:1/nothing"


def one_line(result_stderr: str) -> str:
    lines = result_stderr.strip().splitlines()
    assert len(lines) == 1, result_stderr
    return lines[0]


def test_migrate_against_an_unreachable_database(monkeypatch: pytest.MonkeyPatch) -> None:
    result = CliRunner().invoke(main, ["db", "migrate"], env={"DATABASE_URL": UNREACHABLE})
    assert result.exit_code == 1
    assert one_line(result.stderr).startswith("error: dependency_unavailable: database: ")


def test_up_refuses_a_home_under_root_and_creates_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("PULSAR_SERVICE_URL", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    home = Path("/root") / f"hexa-refused-{tmp_path.name}"
    mode = Path("/root").stat().st_mode
    result = CliRunner().invoke(main, ["up", "--home", str(home)])
    assert result.exit_code == 1
    assert one_line(result.stderr).startswith("error: stack_failed: ")
    assert "under /root" in result.stderr
    assert not home.exists() and Path("/root").stat().st_mode == mode
