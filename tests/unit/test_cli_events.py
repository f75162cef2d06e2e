"""``hexa events`` and ``hexa publish`` through click: exit codes 0/1/2 and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from hexa.cli import HexaGroup
from hexa.cli.main import main
from hexa.schemas import render
from shared.errors import Reason, TransientError
from shared.events import REGISTRY
from tests.spec_example import SPEC_EXAMPLE

EXAMPLE: dict[str, Any] = json.loads(SPEC_EXAMPLE)
DATA = EXAMPLE["data"]


def run(*args: str, stdin: bytes | None = None, command: click.Command = main) -> Result:
    return CliRunner(env={"COLUMNS": "250"}).invoke(command, list(args), input=stdin)


def assert_one_line_error(result: Result, reason: str, *fragments: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {reason}: ")
    for fragment in fragments:
        assert fragment in line


def test_help_lists_the_command_groups() -> None:
    result = run("--help")

    assert result.exit_code == 0
    for command in ("events", "publish", "schemas"):
        assert f"  {command} " in result.stdout


def test_an_unknown_command_is_a_usage_error() -> None:
    assert run("evnets").exit_code == 2


def test_list_json_is_the_catalogue() -> None:
    result = run("events", "list", "--json")

    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert [row["name"] for row in rows] == [spec.name for spec in REGISTRY]
    for row, spec in zip(rows, REGISTRY, strict=True):
        assert row == {
            "name": spec.name,
            "type": spec.type,
            "topic": spec.topic,
            "key": spec.key_field,
            "version": spec.version,
            "producer": spec.producer,
            "consumers": list(spec.consumers),
        }


def test_list_prints_a_table_of_every_event() -> None:
    result = run("events", "list")

    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[1].split()[1::2] == ["Type", "Topic", "Key", "Version", "Producer", "Consumers"]
    for spec in REGISTRY:
        (row,) = [line for line in lines if f" {spec.type} " in line]
        assert spec.topic in row and f" {spec.key_field} " in row and spec.producer in row


@pytest.mark.parametrize("name", ["BudgetAlert", "com.hexabuilders.campaigns.BudgetAlert"])
def test_schema_prints_the_json_schema_by_type_or_short_name(name: str) -> None:
    result = run("events", "schema", name)

    assert result.exit_code == 0
    assert result.stdout == render(REGISTRY.get("BudgetAlert"))
    schema = json.loads(result.stdout)
    assert schema["$id"] == "urn:hexabuilders:schema:BudgetAlert:v1"
    assert "alert_type" in schema["required"]


def test_schema_of_an_unknown_type_is_a_one_line_error() -> None:
    assert_one_line_error(
        run("events", "schema", "PartnerDeleted"), "unknown_type", "PartnerDeleted"
    )


def test_validate_accepts_the_spec_example_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(EXAMPLE, indent=2))

    result = run("events", "validate", str(path))

    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "ok: com.hexabuilders.partners.PartnerRegistrationCompleted id=A234-1234-1234"
        " key=PartnerRegistrationCompleted/550e8400-e29b-41d4-a716-446655440000\n"
    )


def test_validate_reads_stdin() -> None:
    result = run("events", "validate", "-", stdin=json.dumps(EXAMPLE).encode())

    assert result.exit_code == 0, result.output
    assert "id=A234-1234-1234" in result.stdout


@pytest.mark.parametrize(
    ("payload", "reason", "fragment"),
    [
        pytest.param(b"\xc3\x28", Reason.NOT_UTF8, "UTF-8", id="non-utf8"),
        pytest.param(b"{'id': 1}", Reason.MALFORMED_JSON, "not JSON", id="not-json"),
        pytest.param(b"[]", Reason.NOT_A_CLOUDEVENT, "list", id="not-an-object"),
        pytest.param(
            json.dumps({**EXAMPLE, "specversion": "0.3"}).encode(),
            Reason.UNSUPPORTED_SPECVERSION,
            "0.3",
            id="specversion",
        ),
        pytest.param(
            json.dumps({**EXAMPLE, "type": "com.hexabuilders.partners.Nope"}).encode(),
            Reason.UNKNOWN_TYPE,
            "Nope",
            id="unknown-type",
        ),
        pytest.param(
            json.dumps({**EXAMPLE, "data": {**DATA, "email": "nobody"}}).encode(),
            Reason.INVALID_DATA,
            "field 'email'",
            id="invalid-field",
        ),
    ],
)
def test_validate_reports_bad_input_in_one_line(
    payload: bytes, reason: Reason, fragment: str
) -> None:
    assert_one_line_error(run("events", "validate", "-", stdin=payload), reason, fragment)


def test_validate_takes_a_payload_limit() -> None:
    payload = json.dumps(EXAMPLE).encode()

    assert (
        run("events", "validate", "--max-bytes", str(len(payload)), "-", stdin=payload).exit_code
        == 0
    )
    result = run("events", "validate", "--max-bytes", str(len(payload) - 1), "-", stdin=payload)
    assert_one_line_error(result, "too_large", f"limit {len(payload) - 1}")


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["events", "validate"], id="no-file"),
        pytest.param(["events", "validate", "/nonexistent/event.json"], id="missing-file"),
        pytest.param(["events", "validate", "--max-bytes", "0", "-"], id="zero-limit"),
        pytest.param(["events", "schema"], id="no-type"),
        pytest.param(["publish", "BudgetAlert", "--dry-run"], id="no-data"),
        pytest.param(
            ["publish", "BudgetAlert", "--data", "@/nonexistent.json", "--dry-run"],
            id="no-data-file",
        ),
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    result = run(*args)

    assert result.exit_code == 2, result.output
    assert result.stdout == ""


def published(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    envelope: dict[str, Any] = json.loads(result.stdout)
    REGISTRY.decode(json.dumps(envelope))
    return envelope


@pytest.mark.parametrize("name", ["PartnerRegistrationCompleted", EXAMPLE["type"]])
def test_publish_dry_run_prints_the_full_envelope(name: str) -> None:
    envelope = published(run("publish", name, "--data", json.dumps(DATA), "--dry-run"))

    assert envelope["type"] == EXAMPLE["type"]
    assert envelope["source"] == EXAMPLE["source"] and envelope["subject"] == EXAMPLE["subject"]
    assert envelope["dataschema"] == "urn:hexabuilders:schema:PartnerRegistrationCompleted:v1"
    assert envelope["correlationid"] == envelope["id"]  # a new flow starts here
    assert envelope["data"] == {
        **DATA,
        "registration_data": {},
        "validation_status": "PENDING",
        "preferred_contract_type": "STANDARD",
        "registration_source": "WEB",
        "registration_timestamp": None,
    }


def test_publish_reads_data_from_a_file_and_joins_a_flow(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_text(json.dumps(DATA))

    envelope = published(
        run(
            "publish",
            "PartnerRegistrationCompleted",
            "--data",
            f"@{path}",
            "--correlation-id",
            "CORR-1",
            "--dry-run",
        )
    )

    assert envelope["correlationid"] == "CORR-1"
    assert envelope["data"]["business_name"] == "TechSolutions Inc"


@pytest.mark.parametrize(
    ("name", "data", "reason", "fragment"),
    [
        pytest.param(
            "PartnerDeleted", "{}", Reason.UNKNOWN_TYPE, "PartnerDeleted", id="unknown-type"
        ),
        pytest.param("BudgetAlert", "{", Reason.MALFORMED_JSON, "not JSON", id="not-json"),
        pytest.param("BudgetAlert", '"\udcff"', Reason.NOT_UTF8, "UTF-8", id="argv-not-utf8"),
        pytest.param("BudgetAlert", "[]", Reason.INVALID_DATA, "JSON object", id="not-an-object"),
        pytest.param(
            "PartnerRegistrationCompleted",
            json.dumps({**DATA, "partner_type": "COOPERATIVA"}),
            Reason.INVALID_DATA,
            "field 'partner_type'",
            id="enum-value",
        ),
        pytest.param(
            "PartnerRegistrationCompleted",
            json.dumps({**DATA, "registration_data": {"notes": "x" * 1024 * 1024}}),
            Reason.TOO_LARGE,
            "limit",
            id="too-large-for-consumers",
        ),
    ],
)
def test_publish_reports_bad_data_in_one_line(
    name: str, data: str, reason: Reason, fragment: str
) -> None:
    assert_one_line_error(run("publish", name, "--data", data, "--dry-run"), reason, fragment)


def test_publish_without_a_broker_is_a_one_line_usage_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("PULSAR_SERVICE_URL", raising=False)
    monkeypatch.setenv("HEXA_HOME", str(tmp_path))  # no running stack recorded there
    result = run("publish", "PartnerRegistrationCompleted", "--data", json.dumps(DATA))

    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: no_broker: no broker: run `hexa up`, or set PULSAR_SERVICE_URL"
    ]
    assert result.stdout == ""


def test_any_hexa_error_below_the_group_is_one_line_and_exit_1() -> None:
    @click.group(cls=HexaGroup)
    def tool() -> None:
        pass

    @tool.group()
    def sub() -> None:
        pass

    @sub.command()
    def connect() -> None:
        raise TransientError(Reason.DEPENDENCY_UNAVAILABLE, "database down\nretry later")

    result = run("sub", "connect", command=tool)

    assert_one_line_error(result, "dependency_unavailable", "database down retry later")
