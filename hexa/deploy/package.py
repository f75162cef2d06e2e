"""The zip each function ships, in the layout the Python worker expects, byte for byte
reproducible.

The worker extracts ``<name>.zip`` next to itself, puts ``<name>/src`` first on ``sys.path``
and ``pip install``s every wheel of ``<name>/deps`` with ``--no-index``: so ``src`` holds the
``functions`` and ``shared`` packages, and ``deps`` holds wheels built for the *worker's*
platform and Python, not this machine's. Which wheels is read from the code: the third-party
imports reachable from the function's module, pinned as ``pyproject.toml`` pins them. The
worker's own ``pulsar`` client is never shipped: a second copy on the function's path would
shadow the one the instance runtime was built against.

Same sources and same wheels give the same bytes (sorted entries, fixed timestamps and modes),
so a digest of the inputs can stand for the package in ``hexa deploy plan``.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from hexa.deploy import DeployError
from hexa.deployment import FunctionSpec
from hexa.paths import ROOT

SOURCE_PACKAGES = ("functions", "shared")
RUNTIME_PROVIDED = frozenset({"pulsar"})
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry
_PIP_TIMEOUT = 900


@dataclass(frozen=True)
class Target:
    """The worker's interpreter: wheels are chosen for it, whatever this machine runs."""

    platforms: tuple[str, ...] = ("manylinux2014_x86_64",)
    python_version: str = "3.11"


class WheelSource(Protocol):
    def __call__(self, requirements: Sequence[str], target: Target) -> list[Path]:
        """Wheel files that satisfy ``requirements`` together on ``target``."""
        ...


def source_files(root: Path = ROOT) -> list[tuple[str, Path]]:
    """(name inside ``src/``, file) of every file of the shipped packages, sorted."""
    files = []
    for package in SOURCE_PACKAGES:
        for path in (root / package).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                files.append((path.relative_to(root).as_posix(), path))
    return sorted(files)


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pinned(pyproject: Path = ROOT / "pyproject.toml") -> dict[str, str]:
    """Canonical distribution name -> the requirement line of ``pyproject.toml``."""
    dependencies = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    pinned = {}
    for line in dependencies:
        match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", line)
        if match:
            pinned[_canonical(match[0])] = line
    return pinned


def _imports(path: Path, module: str) -> Iterable[str]:
    """Absolute names of what ``module`` (at ``path``) imports, submodule candidates included."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = module.split(".")
                anchor = parts[: len(parts) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def third_party_imports(module: str) -> set[str]:
    """Top-level third-party modules reachable from ``module`` through ``functions``/``shared``.

    Parent packages count too: importing a submodule runs every ``__init__`` above it.
    """
    found: set[str] = set()
    todo = [module]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):  # `pkg.module.Class`: not a module
            spec = None
        if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
            if name == module:
                raise DeployError(f"module {module} not found")
            continue
        parts = name.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))
        for imported in _imports(Path(spec.origin), name):
            top = imported.split(".")[0]
            if top in SOURCE_PACKAGES:
                todo.append(imported)
            elif top and top != "__future__" and top not in sys.stdlib_module_names:
                found.add(top)
    return found


def requirements(spec: FunctionSpec) -> tuple[str, ...]:
    """What ``deps/`` must satisfy for ``spec``'s class, sorted."""
    module = spec.class_name.rpartition(".")[0]
    distributions = importlib.metadata.packages_distributions()
    pinned = _pinned()
    lines = set()
    for top in third_party_imports(module) - RUNTIME_PROVIDED:
        names = distributions.get(top)
        if not names:
            raise DeployError(f"{spec.name}: imports {top}, which is not installed here")
        lines.add(pinned.get(_canonical(names[0]), names[0]))
    return tuple(sorted(lines))


def package_digest(spec: FunctionSpec, target: Target, root: Path = ROOT) -> str:
    """Stands for the package's bytes without building it: sources, requirements, target."""
    digest = hashlib.sha256()
    for name, path in source_files(root):
        digest.update(f"{name}\0{hashlib.sha256(path.read_bytes()).hexdigest()}\n".encode())
    digest.update(json.dumps([spec.name, requirements(spec), list(target.platforms)]).encode())
    digest.update(target.python_version.encode())
    return digest.hexdigest()


def _entry(name: str, compress: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, _EPOCH)
    info.compress_type = compress
    info.create_system = 3  # unix, so that the mode bits below mean the same everywhere
    info.external_attr = 0o100644 << 16
    return info


def build(
    spec: FunctionSpec, out_dir: Path, target: Target, wheels: WheelSource, root: Path = ROOT
) -> Path:
    """Write ``out_dir/<name>.zip`` (atomically) from the packages under ``root``."""
    wheel_files = sorted(wheels(requirements(spec), target), key=lambda p: p.name)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{spec.name}.zip"
    partial = path.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w") as archive:
        for name, source in source_files(root):
            info = _entry(f"{spec.name}/src/{name}", zipfile.ZIP_DEFLATED)
            archive.writestr(info, source.read_bytes(), compresslevel=9)
        for wheel in wheel_files:
            # Wheels are zips already: stored, not deflated again.
            archive.writestr(
                _entry(f"{spec.name}/deps/{wheel.name}", zipfile.ZIP_STORED), wheel.read_bytes()
            )
    partial.replace(path)
    return path


class PipWheels:
    """Wheels from ``pip download --only-binary=:all:`` for the target, cached per requirement
    set so that only the first build of a set needs the index."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir

    def __call__(self, requirements: Sequence[str], target: Target) -> list[Path]:
        if not requirements:
            return []
        key = json.dumps([sorted(requirements), list(target.platforms), target.python_version])
        directory = self.cache_dir / hashlib.sha256(key.encode()).hexdigest()[:16]
        marker = directory / ".complete"
        if not marker.exists():
            self._download(requirements, target, directory)
            marker.write_text(key + "\n")
        return sorted(directory.glob("*.whl"))

    @staticmethod
    def _download(requirements: Sequence[str], target: Target, directory: Path) -> None:
        partial = directory.with_name(directory.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        command = [
            sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
            "--only-binary=:all:", "--implementation", "cp",
            "--python-version", target.python_version,
            *(arg for platform in target.platforms for arg in ("--platform", platform)),
            "--dest", str(partial), *requirements,
        ]  # fmt: skip
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, timeout=_PIP_TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired:
            raise DeployError(f"pip download did not finish in {_PIP_TIMEOUT}s") from None
        if result.returncode != 0:
            lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
            raise DeployError(f"pip download failed: {lines[-1] if lines else result.returncode}")
        shutil.rmtree(directory, ignore_errors=True)
        partial.rename(directory)
