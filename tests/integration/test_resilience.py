"""The host survives its broker and stops cleanly: health reflects the outage, nothing is lost,
nothing is acked without its effect, nothing is left running."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from hexa.devenv import DevEnvironment
from hexa.publisher import Publisher
from hexa.pulsar_client import new_client
from hexa.samples import sample
from hexa.stack import Stack
from shared.events import REGISTRY
from tests.conditions import wait_for
from tests.conftest import scratch_dir
from tests.integration.flows import fast_deployment, platform
from tests.integration.helpers import scalar

pytestmark = pytest.mark.integration


def health(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def publish_registrations(pulsar_url: str, seeds: range) -> list[str]:
    client = new_client(pulsar_url)
    publisher = Publisher(client)
    partners = []
    for seed in seeds:
        data = sample("PartnerRegistrationCompleted", seed)
        publisher.publish(REGISTRY.new(data))
        partners.append(data.partner_id)  # type: ignore[attr-defined]
    publisher.close()
    client.close()
    return partners


def contracts(database_url: str, partners: list[str]) -> int:
    return int(
        scalar(
            database_url,
            "SELECT count(*) FROM onboarding.contracts WHERE partner_id = ANY(%s)",
            (partners,),
        )
    )


def test_broker_killed_health_turns_503_and_back_and_nothing_is_lost(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with platform(monkeypatch) as env:
        assert env.host is not None and env.stack.broker is not None
        url, db = env.host.health_url, env.stack.database_url
        assert health(url)[0] == 200

        before = publish_registrations(env.stack.pulsar_url, range(200, 230))
        env.stack.broker.kill()
        _, body = wait_for(
            lambda: (lambda r: r if r[0] == 503 else None)(health(url)),
            what="503 while the broker is down",
        )
        assert body["pulsar_connection"] is False and body["status"] == "unhealthy"

        env.stack.broker.start()
        wait_for(lambda: health(url)[0] == 200, timeout=60, what="200 once the broker is back")
        after = publish_registrations(env.stack.pulsar_url, range(230, 240))
        wait_for(
            lambda: contracts(db, before + after) == 40,
            timeout=90,
            what="every registration processed after the restart",
        )
        assert scalar(db, "SELECT count(*) FROM eventing.dead_letters") == 0


@pytest.mark.slow
def test_sigterm_under_load_acks_nothing_unfinished_and_leaves_nothing_running(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("PULSAR_SERVICE_URL", "DATABASE_URL", "PULSAR_ADMIN_URL"):
        monkeypatch.delenv(name, raising=False)
    home = scratch_dir("hexa-sigterm-")
    up: subprocess.Popen[str] | None = None
    try:
        environ = {**os.environ, "HEXA_HOME": str(home)}
        up = subprocess.Popen(
            [sys.executable, "-m", "hexa.cli.main", "up", "--log-level", "WARNING"],
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        state = home / "stack.json"
        wait_for(state.exists, timeout=60, what="hexa up to record its stack")
        endpoints = json.loads(state.read_text())
        partners = publish_registrations(endpoints["pulsar_url"], range(300, 700))
        db = endpoints["database_url"]
        wait_for(lambda: contracts(db, partners) > 0, what="processing to start")

        up.send_signal(signal.SIGTERM)  # mid-stream: 400 events were published
        assert up.wait(60) == 0, up.stderr.read() if up.stderr else ""
        assert not state.exists()
        assert not _running_under(home), "a process of the stack outlived hexa up"
        with Stack(home) as stack:  # the data alone, before any function runs again
            done_at_stop = contracts(stack.database_url, partners)
        assert 0 < done_at_stop < 400  # the stop really happened mid-stream

        # Same data, fresh host: whatever was not finished comes back; whatever was acked
        # was done, so the end state is every registration exactly once.
        with DevEnvironment(home=home, deployment=fast_deployment(), record_state=False) as env:
            wait_for(
                lambda: contracts(env.stack.database_url, partners) == 400,
                timeout=120,
                what="all 400 registrations after the restart",
            )
            assert scalar(env.stack.database_url, "SELECT count(*) FROM eventing.inbox") == 400
    finally:
        if up is not None and up.poll() is None:  # failed midway: stop what it started
            up.terminate()
            try:
                up.wait(60)
            except subprocess.TimeoutExpired:
                up.kill()
        shutil.rmtree(home, ignore_errors=True)


def _running_under(home: Path) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(home) in cmdline:
            found.append(cmdline)
    return found
