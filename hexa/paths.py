"""Where the project's own files are (the tooling runs from a checkout, never from a zip)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = ROOT / "migrations"
DEPLOY_FILE = ROOT / "deploy" / "functions.yaml"
SCHEMAS = ROOT / "schemas"
