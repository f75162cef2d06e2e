"""Where the broker and the database are: flags, then the environment, then a running stack.

``hexa up`` records the URLs of what it started in ``$HEXA_HOME/stack.json`` so that every
other command (``publish``, ``inspect``, ``trace``, ``dlq``) finds them with no flags at all;
the file goes away when the stack stops.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from hexa.stack import default_home

STATE_FILE_NAME = "stack.json"


@dataclass(frozen=True)
class Endpoints:
    pulsar_url: str | None = None
    database_url: str | None = None
    admin_url: str | None = None
    auth_token: str | None = None
    broker_metrics_url: str | None = None
    metrics_url: str | None = None
    health_url: str | None = None
    pid: int | None = None


def state_file(home: Path | None = None) -> Path:
    return (home or default_home()) / STATE_FILE_NAME


def write_state(endpoints: Endpoints, home: Path | None = None) -> Path:
    path = state_file(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(endpoints), indent=2))
    tmp.replace(path)
    return path


def clear_state(home: Path | None = None) -> None:
    state_file(home).unlink(missing_ok=True)


def running_stack(home: Path | None = None) -> Endpoints | None:
    """The endpoints of a ``hexa up`` still alive (a stale file from a crash is ignored)."""
    path = state_file(home)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    pid = data.get("pid")
    if not isinstance(pid, int) or not _alive(pid):
        return None
    return Endpoints(**{k: data.get(k) for k in Endpoints.__dataclass_fields__})


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def resolve(
    *,
    pulsar_url: str | None = None,
    database_url: str | None = None,
    admin_url: str | None = None,
    home: Path | None = None,
) -> Endpoints:
    """Each URL from its flag, else its environment variable, else the running stack."""
    stack = running_stack(home) or Endpoints()
    return Endpoints(
        pulsar_url=pulsar_url or os.environ.get("PULSAR_SERVICE_URL") or stack.pulsar_url,
        database_url=database_url or os.environ.get("DATABASE_URL") or stack.database_url,
        admin_url=admin_url or os.environ.get("PULSAR_ADMIN_URL") or stack.admin_url,
        auth_token=os.environ.get("PULSAR_AUTH_TOKEN") or stack.auth_token,
        broker_metrics_url=stack.broker_metrics_url,
        metrics_url=stack.metrics_url,
        health_url=stack.health_url,
        pid=stack.pid,
    )
