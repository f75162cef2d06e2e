"""The function zip: the worker's layout, reproducible bytes, and the wheels the code imports.

The wheel download is stubbed (no index needed); the zip is built and checked for real.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from hexa.deploy.package import (
    PipWheels,
    Target,
    build,
    package_digest,
    requirements,
    source_files,
)
from hexa.deployment import Deployment, FunctionSpec, load
from hexa.paths import ROOT


class FakeWheels:
    """Writes one small, fixed wheel per requirement and remembers what it was asked for."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.calls: list[tuple[tuple[str, ...], Target]] = []

    def __call__(self, requirements: Sequence[str], target: Target) -> list[Path]:
        self.calls.append((tuple(requirements), target))
        self.directory.mkdir(parents=True, exist_ok=True)
        wheels = []
        for line in requirements:
            name = line.split(">")[0].split("=")[0].replace("-", "_")
            wheel = self.directory / f"{name}-1.0-py3-none-any.whl"
            wheel.write_bytes(f"wheel of {line}".encode())
            wheels.append(wheel)
        return wheels


@pytest.fixture(scope="module")
def deployment() -> Deployment:
    return load()


@pytest.fixture
def spec(deployment: Deployment) -> FunctionSpec:
    return deployment.get("onboarding-candidate-hired")


@pytest.fixture
def wheels(tmp_path: Path) -> FakeWheels:
    return FakeWheels(tmp_path / "wheels")


def test_layout_is_name_src_and_name_deps(
    spec: FunctionSpec, wheels: FakeWheels, tmp_path: Path
) -> None:
    path = build(spec, tmp_path / "out", Target(), wheels)
    assert path.name == "onboarding-candidate-hired.zip"
    names = zipfile.ZipFile(path).namelist()
    top = "onboarding-candidate-hired/"
    assert all(n.startswith(top) for n in names)
    src = {n.removeprefix(top + "src/") for n in names if n.startswith(top + "src/")}
    deps = sorted(n.removeprefix(top + "deps/") for n in names if n.startswith(top + "deps/"))
    assert "functions/onboarding/candidate_hired.py" in src
    assert "shared/handler.py" in src
    assert {n.split("/")[0] for n in src} == {"functions", "shared"}
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    assert deps == [
        "psycopg2_binary-1.0-py3-none-any.whl",
        "pydantic-1.0-py3-none-any.whl",
        "tenacity-1.0-py3-none-any.whl",
    ]
    assert len(names) == len(src) + len(deps)


def test_the_class_imports_from_the_extracted_src(
    spec: FunctionSpec, wheels: FakeWheels, tmp_path: Path
) -> None:
    """As python_instance_main.py does: extract next to the zip, put <name>/src first."""
    path = build(spec, tmp_path / "out", Target(), wheels)
    zipfile.ZipFile(path).extractall(tmp_path / "x")
    src = tmp_path / "x" / spec.name / "src"
    module, _, cls = spec.class_name.rpartition(".")
    code = f"import sys; sys.path.insert(0, {str(src)!r}); import {module} as m; "
    code += f"print(m.__file__, m.{cls}.__name__)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    file, name = result.stdout.split()
    assert Path(file).is_relative_to(src)
    assert name == cls


def _copy_sources(root: Path) -> Path:
    for package in ("functions", "shared"):
        shutil.copytree(
            ROOT / package, root / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    return root


def test_same_input_same_bytes(spec: FunctionSpec, wheels: FakeWheels, tmp_path: Path) -> None:
    root = _copy_sources(tmp_path / "root")
    first = build(spec, tmp_path / "a", Target(), wheels, root).read_bytes()
    for _, path in source_files(root):  # a fresh checkout: every mtime differs
        os.utime(path, (1_900_000_000, 1_900_000_000))
    (root / "shared" / "__pycache__").mkdir()
    (root / "shared" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"junk")
    second = build(spec, tmp_path / "b", Target(), wheels, root).read_bytes()
    assert first == second


def test_digest_follows_content_not_mtime(spec: FunctionSpec, tmp_path: Path) -> None:
    root = _copy_sources(tmp_path / "root")
    digest = package_digest(spec, Target(), root)
    handler = root / "shared" / "handler.py"
    os.utime(handler, (1_900_000_000, 1_900_000_000))
    assert package_digest(spec, Target(), root) == digest
    handler.write_text(handler.read_text() + "\n# changed\n")
    assert package_digest(spec, Target(), root) != digest
    assert package_digest(spec, Target(python_version="3.12"), ROOT) != package_digest(
        spec, Target(), ROOT
    )


def test_requirements_follow_the_imports(deployment: Deployment) -> None:
    notifications = requirements(deployment.get("notifications-budget-alert"))
    onboarding = requirements(deployment.get("onboarding-candidate-hired"))
    assert onboarding == ("psycopg2-binary>=2.9,<3", "pydantic>=2.10,<3", "tenacity>=9,<10")
    assert "boto3>=1.34,<2" in notifications
    for lines in (notifications, onboarding):
        assert not any(line.startswith("pulsar") for line in lines)  # the worker's own


def test_wheels_are_asked_for_the_target(
    spec: FunctionSpec, wheels: FakeWheels, tmp_path: Path
) -> None:
    target = Target(platforms=("musllinux_1_2_x86_64",), python_version="3.12")
    build(spec, tmp_path, target, wheels)
    assert wheels.calls == [(requirements(spec), target)]


def test_pip_wheels_download_once_per_requirement_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    commands: list[list[str]] = []

    def fake_run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        commands.append(command)
        dest = Path(command[command.index("--dest") + 1])
        dest.mkdir(parents=True)
        (dest / "tenacity-9.0-py3-none-any.whl").write_bytes(b"w")
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(subprocess, "run", fake_run)
    source = PipWheels(tmp_path)
    target = Target(platforms=("manylinux2014_aarch64",), python_version="3.12")
    first = source(["tenacity>=9,<10"], target)
    second = source(["tenacity>=9,<10"], target)
    assert first == second
    assert [p.name for p in first] == ["tenacity-9.0-py3-none-any.whl"]
    assert len(commands) == 1
    command = commands[0]
    assert "--only-binary=:all:" in command
    assert command[command.index("--platform") + 1] == "manylinux2014_aarch64"
    assert command[command.index("--python-version") + 1] == "3.12"
    assert source([], target) == []
    assert len(commands) == 1
