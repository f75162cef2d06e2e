"""A real Apache Pulsar for the conformance tier.

``PULSAR_ADMIN_URL`` (with ``PULSAR_AUTH_TOKEN`` and ``PULSAR_SERVICE_URL``) names one that
already runs; otherwise one standalone is assembled from Maven Central (jars cached under
``HEXA_HOME``) and started for the session with token authentication, so that a wrong token
is really refused. Without Java 17+ and Maven the tier is skipped with the reason printed.

Python functions can be created, read, updated and deleted on this standalone, but their
instances cannot start: the worker's Python instance files are not on Maven Central. The
tests check what the worker stores and reports, not what a running instance does.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from hexa.deploy.admin import AdminSettings, PulsarAdmin
from hexa.pulsar_standalone import PulsarStandalone, StandaloneError, missing_tools
from hexa.stack import default_home
from tests.conftest import scratch_dir


@dataclass(frozen=True)
class RealPulsar:
    admin_url: str
    service_url: str | None
    token: str | None
    standalone: PulsarStandalone | None
    """Set when this session started it (and so may kill and restart it)."""

    def admin(self) -> PulsarAdmin:
        return PulsarAdmin(AdminSettings(self.admin_url, self.token))


@pytest.fixture(scope="session")
def real_pulsar() -> Iterator[RealPulsar]:
    external = os.environ.get("PULSAR_ADMIN_URL")
    if external:
        yield RealPulsar(
            external,
            os.environ.get("PULSAR_SERVICE_URL"),
            os.environ.get("PULSAR_AUTH_TOKEN"),
            None,
        )
        return
    reason = missing_tools()
    if reason:
        pytest.skip(f"no real Apache Pulsar: {reason}; or set PULSAR_ADMIN_URL")
    run_dir = scratch_dir("hexa-conformance-pulsar-")
    standalone = PulsarStandalone(default_home(), run_dir=run_dir, token_auth=True)
    try:
        standalone.start()
    except StandaloneError as exc:
        standalone.stop()
        pytest.fail(f"the standalone did not start (its run dir is kept): {exc}")
    try:
        yield RealPulsar(standalone.admin_url, standalone.service_url, standalone.token, standalone)
    finally:
        standalone.stop()
        shutil.rmtree(run_dir, ignore_errors=True)


@pytest.fixture
def admin(real_pulsar: RealPulsar) -> PulsarAdmin:
    return real_pulsar.admin()
