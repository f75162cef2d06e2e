"""Infrastructure failures are retried, never dead-lettered, and lose nothing."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from functions.onboarding.partner_registration_completed import OnPartnerRegistrationCompleted
from hexa.paths import MIGRATIONS
from hexa.samples import sample
from hexa.stack import EmbeddedPostgres
from shared.db import migrate
from shared.errors import TransientError
from tests.conftest import scratch_dir
from tests.fakes import envelope, wire
from tests.integration.helpers import pg_context, scalar

pytestmark = pytest.mark.integration


@pytest.fixture
def own_server() -> Iterator[EmbeddedPostgres]:
    """A server of this test's own, so stopping it disturbs no other test."""
    home = scratch_dir("hexa-outage-")
    server = EmbeddedPostgres(home / "pgdata")
    migrate(server.start(), MIGRATIONS)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


def test_database_stopped_mid_stream_sends_nothing_to_the_dlq(
    own_server: EmbeddedPostgres,
) -> None:
    url = own_server.url
    handler = OnPartnerRegistrationCompleted()
    events = [sample("PartnerRegistrationCompleted", i) for i in range(4)]
    handler.process(wire(envelope(events[0])), pg_context(events[0], url))

    own_server.stop()
    pending = [wire(envelope(e)) for e in events[1:]]
    for payload, data in zip(pending, events[1:], strict=True):
        for _ in range(5):  # more deliveries than max_retries: still no dead letter
            ctx = pg_context(data, url)
            with pytest.raises(TransientError, match="dependency_unavailable"):
                handler.process(payload, ctx)
            assert ctx.published == []

    own_server.start()
    for payload, data in zip(pending, events[1:], strict=True):
        ctx = pg_context(data, url)
        assert handler.process(payload, ctx) is None
        assert ctx.published == []

    assert scalar(url, "SELECT count(*) FROM onboarding.contracts") == 4
    assert scalar(url, "SELECT count(*) FROM eventing.dead_letters") == 0
