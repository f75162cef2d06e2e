"""The development environment ``hexa up`` runs: stack, migrations, functions, state file.

One context manager so ``up``, ``localrun``, ``demo`` and the tests start and stop exactly the
same way: whatever it started is stopped on exit, in reverse order, even after a failure.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType

from hexa.deployment import Deployment, load
from hexa.endpoints import Endpoints, clear_state, write_state
from hexa.paths import MIGRATIONS
from hexa.runtime.host import LocalHost
from hexa.runtime.instance import DEFAULT_OPTIONS, RuntimeOptions
from hexa.stack import Stack, default_home
from hexa.stack.sns import ENDPOINT_VARIABLE, LocalSns
from shared.db import migrate


@dataclass(frozen=True)
class Timings:
    stack_s: float
    migrate_s: float
    functions_s: float

    @property
    def total_s(self) -> float:
        return self.stack_s + self.migrate_s + self.functions_s


class DevEnvironment:
    def __init__(
        self,
        *,
        home: Path | None = None,
        names: Sequence[str] | None = None,
        deployment: Deployment | None = None,
        options: RuntimeOptions = DEFAULT_OPTIONS,
        http_port: int = 0,
        record_state: bool = True,
    ) -> None:
        self.home = home or default_home()
        self.deployment = deployment or load()
        self.stack = Stack(
            self.home,
            pulsar_url=os.environ.get("PULSAR_SERVICE_URL"),
            database_url=os.environ.get("DATABASE_URL"),
        )
        self._names = names
        # The workaround for pulsar-lite's consumer-id keying applies to that broker only.
        self._options = replace(options, distinct_consumer_ids=self.stack.broker is not None)
        self._http_port = http_port
        self._record_state = record_state
        self.host: LocalHost | None = None
        self.timings: Timings | None = None
        arns = [
            str(f.user_config["sns_topic_arn"])
            for f in self.deployment.functions
            if f.user_config.get("sns_topic_arn")
        ]
        self.sns = LocalSns(arns) if arns and not os.environ.get(ENDPOINT_VARIABLE) else None

    def start(self) -> DevEnvironment:
        t0 = time.perf_counter()
        self.stack.start()
        try:
            if self.sns is not None:
                self.sns.start()
            t1 = time.perf_counter()
            migrate(self.stack.database_url, MIGRATIONS)
            t2 = time.perf_counter()
            self.host = LocalHost(
                self.deployment,
                pulsar_url=self.stack.pulsar_url,
                database_url=self.stack.database_url,
                names=self._names,
                options=self._options,
                broker_metrics_url=self.stack.broker_metrics_url,
                admin_url=os.environ.get("PULSAR_ADMIN_URL"),
                admin_token=os.environ.get("PULSAR_AUTH_TOKEN"),
                http_port=self._http_port,
            )
            self.host.start()
            t3 = time.perf_counter()
        except BaseException:
            self.stop()
            raise
        self.timings = Timings(t1 - t0, t2 - t1, t3 - t2)
        if self._record_state:
            write_state(self.endpoints, self.home)
        return self

    @property
    def endpoints(self) -> Endpoints:
        assert self.host is not None
        return Endpoints(
            pulsar_url=self.stack.pulsar_url,
            database_url=self.stack.database_url,
            admin_url=os.environ.get("PULSAR_ADMIN_URL"),
            broker_metrics_url=self.stack.broker_metrics_url,
            metrics_url=self.host.metrics_url,
            health_url=self.host.health_url,
            pid=os.getpid(),
        )

    def stop(self) -> None:
        if self._record_state:
            clear_state(self.home)
        if self.host is not None:
            self.host.stop()
        if self.sns is not None:
            self.sns.stop()
        self.stack.stop()

    def __enter__(self) -> DevEnvironment:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
