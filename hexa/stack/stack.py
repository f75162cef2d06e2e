"""The development stack: a broker and a PostgreSQL server, embedded unless given by URL."""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType

from hexa.stack.broker import LiteBroker
from hexa.stack.postgres import EmbeddedPostgres


def default_home() -> Path:
    """Where the embedded servers keep their data when no home is given.

    Root gets /var/lib/hexa because the embedded PostgreSQL, run as root, opens up every
    parent of its data dir to other users, which must not happen to /root.
    """
    if home := os.environ.get("HEXA_HOME"):
        return Path(home).expanduser()
    if os.geteuid() == 0:
        return Path("/var/lib/hexa")
    return Path.home() / ".local" / "share" / "hexa"


class Stack:
    """A broker and a database for local runs and tests, under one home dir.

    An explicit URL means "use that server": CI passes its system PostgreSQL as
    DATABASE_URL, and a conformance run passes a real Apache Pulsar. Only what is not given
    is started, and only what was started is stopped.
    """

    def __init__(
        self, home: Path, pulsar_url: str | None = None, database_url: str | None = None
    ) -> None:
        self.home = Path(home)
        self.broker = None if pulsar_url else LiteBroker(self.home / "broker")
        self.postgres = None if database_url else EmbeddedPostgres(self.home / "postgres")
        # Empty means "not given", as for the environment variables these usually come from.
        self._pulsar_url = pulsar_url or ""
        self._database_url = database_url or ""
        self._started: list[LiteBroker | EmbeddedPostgres] = []

    @property
    def pulsar_url(self) -> str:
        return self._pulsar_url if self.broker is None else self.broker.url

    @property
    def database_url(self) -> str:
        return self._database_url if self.postgres is None else self.postgres.url

    @property
    def broker_metrics_url(self) -> str | None:
        return None if self.broker is None else self.broker.metrics_url

    def start(self) -> None:
        """Start the embedded servers; on failure, stop whatever had started already."""
        try:
            # PostgreSQL first: it is the slower one and the one that refuses a bad home.
            for server in (self.postgres, self.broker):
                if server is not None and not server.running:
                    server.start()
                    self._started.append(server)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop what start() started, newest first; safe to call again."""
        first_error: Exception | None = None
        while self._started:
            try:
                self._started.pop().stop()
            except Exception as error:  # stop the rest anyway: a leaked server outlives us
                first_error = first_error or error
        if first_error is not None:
            raise first_error

    def __enter__(self) -> Stack:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
