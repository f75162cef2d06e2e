"""The design's rules of the house, checked on the source: what ships to a Pulsar worker
(``shared`` and ``functions``) never depends on the tooling, and ``shared`` needs only the
four libraries every worker package carries."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from hexa.paths import ROOT

SHARED_MAY_IMPORT = {"pulsar", "pydantic", "psycopg2", "tenacity", "shared"}
FUNCTIONS_MAY_IMPORT = {
    "shared",
    "functions",
    "psycopg2",
    "pydantic",
    "boto3",
    "botocore",
    "pulsar",
}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots - set(sys.stdlib_module_names) - {"__future__"}


@pytest.mark.parametrize(
    ("package", "allowed"), [("shared", SHARED_MAY_IMPORT), ("functions", FUNCTIONS_MAY_IMPORT)]
)
def test_shipped_code_imports_only_what_a_worker_has(package: str, allowed: set[str]) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_roots(path) - allowed)
        for path in sorted((ROOT / package).rglob("*.py"))
        if imported_roots(path) - allowed
    }
    assert offenders == {}


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import json\nfrom hexa.devenv import DevEnvironment\nimport yaml\n")
    assert imported_roots(module) == {"hexa", "yaml"}
