"""``hexa deploy validate``: the YAML against the classes, the registry and the worker's Python
refusals, and every command that talks to the worker refusing before its first request."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from hexa.cli.deploy import deploy
from hexa.deploy.render import function_config
from hexa.deploy.validate import PYTHON_REFUSALS, python_refusals, validate
from hexa.deployment import DEFAULT_PATH, load

Edit = Callable[[dict[str, Any]], None]


def _write(tmp_path: Path, edit: Edit) -> Path:
    """The real deployment file with one function entry edited."""
    raw = yaml.safe_load(DEFAULT_PATH.read_text())
    edit(raw["functions"][2])  # recruitment-recruitment-requested
    path = tmp_path / "functions.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def _problems(tmp_path: Path, edit: Edit) -> list[str]:
    return [str(p) for p in validate(load(_write(tmp_path, edit)))]


def test_the_projects_deployment_is_valid() -> None:
    assert validate(load()) == []


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda f: f.update(inputs=["persistent://hexabuilders/recruitment/unknown"]),
            "input persistent://hexabuilders/recruitment/unknown is not a topic of the event"
            " registry",
        ),
        (
            lambda f: f.update(inputs=["persistent://hexabuilders/recruitment/candidate-hired"]),
            "input persistent://hexabuilders/recruitment/candidate-hired carries CandidateHired,"
            " but OnRecruitmentRequested handles RecruitmentRequested",
        ),
        (
            lambda f: f.update(outputs=["persistent://hexabuilders/recruitment/nowhere"]),
            "output persistent://hexabuilders/recruitment/nowhere is not a topic of the event"
            " registry",
        ),
        (
            lambda f: f.update(dead_letter_topic="persistent://hexabuilders/recruitment/dlq"),
            "dead-letter topic persistent://hexabuilders/recruitment/dlq is not declared",
        ),
        (
            lambda f: f.update(class_name="functions.recruitment.recruitment_requested.Nope"),
            "class functions.recruitment.recruitment_requested.Nope not found",
        ),
        (
            lambda f: f.update(class_name="functions.recruitment.matching.Candidate"),
            "is not a shared.handler.Handler",
        ),
        (lambda f: f.update(namespace="billing"), "namespace billing is not a service"),
        (
            lambda f: f.update(secrets={"DATABASE_URL": "postgresql://u:p@db/x"}),
            "secrets.DATABASE_URL looks like a plain value",
        ),
        (lambda f: f.update(secrets={}), "secrets has no DATABASE_URL"),
        (
            lambda f: f.update(user_config={"database_url": "x"}),
            "user_config.database_url would put a secret in plain config",
        ),
        (
            lambda f: f.update(processing_guarantee="EFFECTIVELY_ONCE"),
            "the worker refuses processingGuarantees: EFFECTIVELY_ONCE for Python:"
            " Effectively-once processing guarantees not yet supported in Python",
        ),
        (
            lambda f: f.update(processing_guarantee="ATMOST_ONCE", auto_ack=False),
            "the worker refuses autoAck: false with ATMOST_ONCE for Python",
        ),
    ],
)
def test_a_broken_entry_is_refused_with_its_reason(
    tmp_path: Path, edit: Edit, expected: str
) -> None:
    problems = _problems(tmp_path, edit)
    assert any(p.startswith("recruitment-recruitment-requested: ") for p in problems), problems
    assert any(expected in p for p in problems), problems


def test_key_shared_is_accepted_by_this_release(tmp_path: Path) -> None:
    assert _problems(tmp_path, lambda f: f.update(subscription_type="Key_Shared")) == []


# One FunctionConfig change per refusal; None removes the key. Each must trip exactly its own
# rule: the conformance tier sends the same configs to a real worker.
REFUSAL_PATCHES: dict[str, dict[str, Any]] = {
    "processingGuarantees: EFFECTIVELY_ONCE": {
        "processingGuarantees": "EFFECTIVELY_ONCE",
        "timeoutMs": None,
    },
    "maxMessageRetries": {"maxMessageRetries": 3},
    "deadLetterTopic without maxMessageRetries": {
        "deadLetterTopic": "persistent://hexabuilders/recruitment/dead-letters"
    },
    "windowConfig": {"windowConfig": {"windowLengthCount": 10}},
    "timeoutMs with a guarantee other than ATLEAST_ONCE": {"processingGuarantees": "MANUAL"},
    "autoAck: false with ATMOST_ONCE": {
        "processingGuarantees": "ATMOST_ONCE",
        "autoAck": False,
        "timeoutMs": None,
    },
    "retainOrdering and retainKeyOrdering together": {
        "retainOrdering": True,
        "retainKeyOrdering": True,
    },
}


def patched(config: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    out = {**config, **patch}
    return {k: v for k, v in out.items() if v is not None}


def test_every_refusal_has_a_patch_that_trips_only_it() -> None:
    assert set(REFUSAL_PATCHES) == {r.setting for r in PYTHON_REFUSALS}
    base = function_config(load().functions[0], "")
    assert python_refusals(base) == []
    for refusal in PYTHON_REFUSALS:
        tripped = python_refusals(patched(base, REFUSAL_PATCHES[refusal.setting]))
        assert tripped == [refusal]


def test_cli_validate_lists_every_problem_and_exits_1(tmp_path: Path) -> None:
    def edit(f: dict[str, Any]) -> None:
        f.update(processing_guarantee="EFFECTIVELY_ONCE", namespace="billing")

    result = CliRunner().invoke(deploy, ["validate", "--file", str(_write(tmp_path, edit))])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert all(ln.startswith("error: invalid_deployment: recruitment-") for ln in lines)


def test_cli_validate_accepts_the_project_file() -> None:
    result = CliRunner().invoke(deploy, ["validate"])
    assert result.exit_code == 0
    assert result.stdout.startswith("ok: 12 function(s)")


def test_apply_refuses_before_any_request(tmp_path: Path) -> None:
    """An admin URL nobody listens on: the error must be the YAML's, not the connection's."""
    path = _write(tmp_path, lambda f: f.update(processing_guarantee="EFFECTIVELY_ONCE"))
    args = ["--file", str(path), "--admin-url", "http://127.0.0.1:9"]
    for command in ("plan", "apply"):
        result = CliRunner().invoke(deploy, [command, *args])
        assert result.exit_code == 1
        assert "EFFECTIVELY_ONCE" in result.stderr
        assert "cannot reach" not in result.stderr


def test_an_unreadable_file_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(deploy, ["validate", "--file", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "cannot read" in result.stderr
