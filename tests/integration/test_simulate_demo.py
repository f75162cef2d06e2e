"""``hexa simulate`` plays the whole matrix and its checks catch a wrong end state; ``hexa demo``
runs the platform end to end and stops everything it started."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from hexa.cli.demo import demo
from hexa.cli.simulate import simulate
from hexa.devenv import DevEnvironment
from hexa.publisher import Publisher
from hexa.pulsar_client import new_client
from hexa.simulate import Simulation
from tests.integration.helpers import query

pytestmark = pytest.mark.integration


def simulation(env: DevEnvironment, partners: int, seed: int) -> tuple[Simulation, Publisher]:
    client = new_client(env.stack.pulsar_url)
    publisher = Publisher(client)
    return Simulation(
        publisher,
        env.stack.database_url,
        partners=partners,
        rate=5000,
        seed=seed,
        settle_timeout_s=90,
    ), publisher


def test_fifty_partners_every_flow_completes_and_the_state_matches(env: DevEnvironment) -> None:
    sim, publisher = simulation(env, 50, seed=11)
    result = sim.run()
    publisher.close()
    assert result.ok, [c for c in result.checks if not c.ok]
    assert len(result.partners) == 50 and result.duplicates > 0
    assert {c.name for c in result.checks} >= {
        "partners VALIDATED",
        "dead letters",
        "critical alerts notified once",
    }
    # The checks are real: damage one context's state and they see it.
    victim = result.partners[0].partner_id
    query(env.stack.database_url, "DELETE FROM partner.contracts WHERE partner_id = %s", (victim,))
    broken = {c.name: c for c in sim.compare(result.partners)}
    assert not broken["active contracts recorded"].ok
    assert broken["active contracts recorded"].actual == 49


def test_replaying_a_seed_changes_nothing(env: DevEnvironment) -> None:
    first, publisher = simulation(env, 5, seed=12)
    before = first.run()
    publisher.close()
    again, publisher = simulation(env, 5, seed=12)
    after = again.run()
    publisher.close()
    assert before.ok and after.ok
    assert [(c.name, c.actual) for c in before.checks] == [(c.name, c.actual) for c in after.checks]


def test_simulate_cli_bad_input_is_a_usage_error() -> None:
    result = CliRunner().invoke(simulate, ["--partners", "0"])
    assert result.exit_code == 2
    assert "--partners" in result.output


def test_demo_runs_end_to_end_and_stops_everything(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("PULSAR_SERVICE_URL", "DATABASE_URL", "AWS_ENDPOINT_URL_SNS"):
        monkeypatch.delenv(name, raising=False)
    home = Path("/tmp") / f"hexa-demo-test-{tmp_path.name}"
    result = CliRunner().invoke(demo, ["--partners", "4", "--home", str(home)])
    assert result.exit_code == 0, result.output
    for section in (
        "Partners by status",
        "Contracts",
        "Jobs and matches",
        "Campaign permissions",
        "Functions",
        "Dead letters",
        "One business flow",
        "/health/events: 200",
        "every flow completed",
    ):
        assert section in result.output
    leftovers = [
        p for p in Path("/proc").iterdir() if p.name.isdigit() and str(home).encode() in _cmdline(p)
    ]
    assert leftovers == []


def _cmdline(proc: Path) -> bytes:
    try:
        return (proc / "cmdline").read_bytes()
    except OSError:
        return b""
