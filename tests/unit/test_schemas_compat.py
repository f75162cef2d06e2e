"""The schema evolution guard: each incompatible change is caught naming event and field, a
compatible one passes and only leaves the committed file stale, and ``schemas/`` is current."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pydantic import BaseModel, Field, create_model

from hexa.cli.main import main
from hexa.schemas import (
    SCHEMAS_DIR,
    Incompatibility,
    Kind,
    Status,
    check,
    compare,
    document,
    path_for,
    render,
    write,
)
from shared.errors import PermanentError, Reason
from shared.events import REGISTRY, EventData, EventSpec, Registry
from shared.events.common import Day, Id, Money, Timestamp
from shared.events.registry import Context, Criticality


class Level(StrEnum):
    LOW = "LOW"
    HIGH = "HIGH"


class Line(BaseModel):
    sku: str
    qty: int


class Probe(EventData):
    """The released version 1 of a test event."""

    probe_id: Id
    amount: Money
    level: Level
    day: Day
    lines: list[Line]
    limits: dict[str, Money] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    note: str | None = None


def changed(**fields: Any) -> type[EventData]:
    """``Probe`` with some fields added or redeclared."""
    model: type[EventData] = create_model("ProbeChanged", __base__=Probe, **fields)
    return model


def spec_of(model: type[EventData], version: int = 1, name: str = "Probe") -> EventSpec:
    return EventSpec(
        name=name,
        context=Context.PARTNERS,
        model=model,
        category=name.lower(),
        key_field="probe_id",
        aggregate_field="probe_id",
        consumers=(),
        criticality=Criticality.MEDIUM,
        version=version,
    )


class ProbeWithoutDay(EventData):
    probe_id: Id
    amount: Money
    level: Level
    lines: list[Line]
    limits: dict[str, Money] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    note: str | None = None


class LevelWithoutHigh(StrEnum):
    LOW = "LOW"


class LevelWithMedium(StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


class LineWithUnit(Line):
    unit: str


class LineWithTextQty(BaseModel):
    sku: str
    qty: str


INCOMPATIBLE = [
    pytest.param(changed(owner=(str, ...)), "owner", Kind.REQUIRED_ADDED, "", id="required-added"),
    pytest.param(
        changed(tags=(list[str], ...)), "tags", Kind.REQUIRED_ADDED, "optional", id="now-required"
    ),
    pytest.param(ProbeWithoutDay, "day", Kind.REMOVED, "", id="removed"),
    pytest.param(changed(amount=(int, ...)), "amount", Kind.RETYPED, "-> integer", id="retyped"),
    pytest.param(
        changed(day=(Day | None, None)),
        "day",
        Kind.RETYPED,
        "string(date) -> null|string(date)",
        id="nullable",
    ),
    pytest.param(
        changed(day=(Timestamp, ...)),
        "day",
        Kind.RETYPED,
        "string(date) -> string(date-time)",
        id="format",
    ),
    pytest.param(
        changed(tags=(list[int], [])), "tags[]", Kind.RETYPED, "string -> integer", id="items"
    ),
    pytest.param(
        changed(tags=(str, "")), "tags", Kind.RETYPED, "array -> string", id="list-to-scalar"
    ),
    pytest.param(
        changed(limits=(dict[str, str], {})), "limits.*", Kind.RETYPED, "", id="map-values"
    ),
    pytest.param(
        changed(lines=(list[LineWithTextQty], ...)),
        "lines[].qty",
        Kind.RETYPED,
        "integer -> string",
        id="nested-retyped",
    ),
    pytest.param(
        changed(lines=(list[LineWithUnit], ...)),
        "lines[].unit",
        Kind.REQUIRED_ADDED,
        "",
        id="nested-required",
    ),
    pytest.param(
        changed(level=(LevelWithoutHigh, ...)),
        "level",
        Kind.ENUM_VALUE_REMOVED,
        "HIGH",
        id="enum-value-removed",
    ),
    pytest.param(
        changed(level=(str, ...)), "level", Kind.RETYPED, "enum -> string", id="enum-to-string"
    ),
]


@pytest.mark.parametrize(("model", "field", "kind", "detail"), INCOMPATIBLE)
def test_an_incompatible_change_is_caught_naming_the_field(
    model: type[EventData], field: str, kind: Kind, detail: str
) -> None:
    problems = compare(document(spec_of(Probe)), document(spec_of(model)))

    assert [(p.field, p.kind) for p in problems] == [(field, kind)]
    assert detail in problems[0].detail


COMPATIBLE = [
    pytest.param(changed(extra=(str | None, None)), id="optional-field-added"),
    pytest.param(changed(level=(LevelWithMedium, ...)), id="enum-value-added"),
    pytest.param(
        changed(note=(str | None, Field(None, description="Free text."))), id="description"
    ),
]


@pytest.mark.parametrize("model", COMPATIBLE)
def test_a_compatible_change_passes_but_leaves_the_file_stale(
    model: type[EventData], tmp_path: Path
) -> None:
    assert compare(document(spec_of(Probe)), document(spec_of(model))) == []
    write(spec_of(Probe), tmp_path)

    assert check(spec_of(model), tmp_path).status is Status.STALE
    assert write(spec_of(model), tmp_path).status is Status.STALE
    assert check(spec_of(model), tmp_path).status is Status.CURRENT


def test_an_unchanged_model_is_current_and_a_missing_file_fails(tmp_path: Path) -> None:
    spec = spec_of(Probe)
    assert check(spec, tmp_path).status is Status.MISSING

    assert write(spec, tmp_path).status is Status.MISSING

    assert path_for(spec, tmp_path) == tmp_path / "Probe.v1.json"
    assert check(spec, tmp_path).status is Status.CURRENT


def test_write_never_overwrites_an_incompatible_change(tmp_path: Path) -> None:
    write(spec_of(Probe), tmp_path)
    released = path_for(spec_of(Probe), tmp_path).read_text()

    report = write(spec_of(ProbeWithoutDay), tmp_path)

    assert report.status is Status.INCOMPATIBLE
    assert report.incompatibilities == (Incompatibility("day", Kind.REMOVED),)
    assert path_for(spec_of(Probe), tmp_path).read_text() == released


def test_a_new_version_may_break_and_keeps_the_old_file(tmp_path: Path) -> None:
    write(spec_of(Probe), tmp_path)
    released = path_for(spec_of(Probe), tmp_path).read_text()
    v2 = spec_of(ProbeWithoutDay, version=2)

    assert check(v2, tmp_path).status is Status.MISSING
    assert write(v2, tmp_path).status is Status.MISSING
    assert check(v2, tmp_path).status is Status.CURRENT
    assert (
        json.loads(path_for(v2, tmp_path).read_text())["$id"] == "urn:hexabuilders:schema:Probe:v2"
    )
    assert path_for(spec_of(Probe), tmp_path).read_text() == released


class Node(BaseModel):
    name: str
    children: list[Node] = Field(default_factory=list)


class NodeWithIntName(BaseModel):
    name: int
    children: list[NodeWithIntName] = Field(default_factory=list)


def test_recursive_models_are_compared_once_and_terminate() -> None:
    released = document(spec_of(changed(tree=(Node, ...))))

    assert compare(released, released) == []
    problems = compare(released, document(spec_of(changed(tree=(NodeWithIntName, ...)))))
    assert [(p.field, p.kind) for p in problems] == [("tree.name", Kind.RETYPED)]


def test_an_unreadable_committed_file_is_a_permanent_error(tmp_path: Path) -> None:
    path_for(spec_of(Probe), tmp_path).write_text("<<<<<<< HEAD\n")

    with pytest.raises(PermanentError) as info:
        check(spec_of(Probe), tmp_path)

    assert info.value.reason is Reason.MALFORMED_JSON
    assert "Probe.v1.json" in info.value.message


def test_the_committed_schemas_are_current_and_rendered_stably() -> None:
    for spec in REGISTRY:
        assert check(spec).status is Status.CURRENT, spec.name
        assert path_for(spec, SCHEMAS_DIR).read_text(encoding="utf-8") == render(spec)
    rendered = render(REGISTRY.get("BudgetAlert"))
    assert rendered.endswith("}\n") and '\n  "$defs": {' in rendered
    assert list(json.loads(rendered)) == sorted(json.loads(rendered))


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def test_cli_check_passes_on_the_repository() -> None:
    result = run("schemas", "check")

    assert result.exit_code == 0, result.output
    assert f"{len(REGISTRY)} event schemas match" in result.stdout


def use_catalogue(monkeypatch: pytest.MonkeyPatch, *specs: EventSpec) -> None:
    monkeypatch.setattr("hexa.cli.schemas.REGISTRY", Registry(specs))


def test_cli_check_names_event_and_field_of_an_incompatible_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(spec_of(Probe), tmp_path)
    use_catalogue(monkeypatch, spec_of(changed(level=(LevelWithoutHigh, ...))))

    result = run("schemas", "check", "--dir", str(tmp_path))

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: incompatible_schema: Probe v1: field 'level': enum value removed: HIGH;"
        " release it as v2"
    ]


def test_cli_check_reports_stale_and_missing_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(spec_of(Probe), tmp_path)
    use_catalogue(
        monkeypatch,
        spec_of(changed(extra=(str | None, None))),
        spec_of(ProbeWithoutDay, name="Other"),
    )

    result = run("schemas", "check", "--dir", str(tmp_path))

    assert result.exit_code == 1
    stale, missing = result.stderr.splitlines()
    assert stale.startswith("error: stale_schema: Probe v1: ")
    assert missing.startswith("error: missing_schema: Other v1: ")
    assert stale.endswith("run `hexa schemas write`") and missing.endswith(
        "run `hexa schemas write`"
    )


def test_cli_write_writes_what_is_missing_then_check_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_catalogue(monkeypatch, spec_of(Probe))

    written = run("schemas", "write", "--dir", str(tmp_path / "new"))
    checked = run("schemas", "check", "--dir", str(tmp_path / "new"))
    again = run("schemas", "write", "--dir", str(tmp_path / "new"))

    assert written.exit_code == 0 and "Probe.v1.json" in written.stdout
    assert checked.exit_code == 0, checked.output
    assert again.exit_code == 0 and again.stdout == ""


def test_cli_write_refuses_an_incompatible_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(spec_of(Probe), tmp_path)
    use_catalogue(monkeypatch, spec_of(ProbeWithoutDay))

    result = run("schemas", "write", "--dir", str(tmp_path))

    assert result.exit_code == 1
    assert "field 'day': field removed" in result.stderr
    assert check(spec_of(Probe), tmp_path).status is Status.CURRENT
