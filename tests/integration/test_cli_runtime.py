"""``hexa localrun`` and ``hexa publish`` as a user runs them: separate processes, found through
the running stack's state file, stopped with Ctrl-C."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from functions.onboarding.partner_registration_completed import contract_id_for
from tests.conditions import wait_for
from tests.conftest import scratch_dir
from tests.integration.helpers import scalar

pytestmark = pytest.mark.integration
PARTNER = "550e8400-e29b-41d4-a716-446655440000"
DATA = {
    "partner_id": PARTNER,
    "business_name": "TechSolutions Inc",
    "email": "contact@techsolutions.com",
    "partner_type": "EMPRESA",
}


def hexa(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hexa.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_localrun_one_function_publish_to_it_and_ctrl_c(tmp_path: Path) -> None:
    home = scratch_dir("hexa-localrun-")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PULSAR_SERVICE_URL", "DATABASE_URL", "AWS_ENDPOINT_URL_SNS")
    }
    env["HEXA_HOME"] = str(home)
    run = subprocess.Popen(
        [sys.executable, "-m", "hexa.cli.main", "localrun", "onboarding-partner-registration"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        state = home / "stack.json"
        wait_for(state.exists, timeout=60, what="localrun to record its stack")
        database_url = json.loads(state.read_text())["database_url"]

        published = hexa(
            "publish", "PartnerRegistrationCompleted", "--data", json.dumps(DATA), env=env
        )
        assert published.returncode == 0, published.stderr
        event_id = published.stdout.strip()
        assert len(event_id) == 36

        assert wait_for(
            lambda: scalar(
                database_url,
                "SELECT contract_id FROM onboarding.contracts WHERE partner_id = %s",
                (PARTNER,),
            )
        ) == contract_id_for(PARTNER)
        assert scalar(database_url, "SELECT correlation_id FROM eventing.inbox") == event_id

        bad = hexa("publish", "PartnerRegistrationCompleted", "--data", "{not json", env=env)
        assert bad.returncode == 1, bad.stderr
        assert bad.stderr.startswith("error: malformed_json: "), bad.stderr

        run.send_signal(signal.SIGINT)  # Ctrl-C
        code = run.wait(60)
        stdout, stderr = run.communicate()
        assert code == 0, stderr[-3000:]
        assert not state.exists()
        assert "health" in stdout and "metrics" in stdout
    finally:
        if run.poll() is None:  # the test failed midway: still stop what localrun started
            run.send_signal(signal.SIGTERM)
            try:
                run.wait(60)
            except subprocess.TimeoutExpired:
                run.kill()
        shutil.rmtree(home, ignore_errors=True)


def test_localrun_of_an_unknown_function_is_a_usage_error(tmp_path: Path) -> None:
    result = hexa("localrun", "no-such-function", env={**os.environ, "HEXA_HOME": str(tmp_path)})
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: invalid_deployment: no function named")
