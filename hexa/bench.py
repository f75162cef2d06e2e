"""``hexa bench``: what the platform costs, as ratios against baselines measured in the same run.

The machines are shared and their speed drifts minute to minute, so an absolute figure means
little; each benchmark therefore times our path and a baseline doing the same essential work
without it, interleaved over several rounds, and reports the median of each and their ratio.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg2
import pulsar

from functions.onboarding.partner_registration_completed import OnPartnerRegistrationCompleted
from hexa.devenv import DevEnvironment
from hexa.paths import MIGRATIONS
from hexa.publisher import Publisher
from hexa.pulsar_client import new_client
from hexa.samples import sample
from hexa.stack import EmbeddedPostgres
from hexa.testing import FakeContext
from shared.db import migrate
from shared.envelope import serialize
from shared.events import REGISTRY

ROUNDS = 3


@dataclass(frozen=True)
class Measurement:
    name: str
    what: str
    unit: str
    ours: float
    baseline: float
    baseline_what: str

    @property
    def ratio(self) -> float:
        return self.ours / self.baseline if self.baseline else float("nan")


def _median_pair(ours: Callable[[], float], baseline: Callable[[], float]) -> tuple[float, float]:
    a, b = [], []
    for _ in range(ROUNDS):
        b.append(baseline())
        a.append(ours())
    return statistics.median(a), statistics.median(b)


def _registrations(count: int, offset: int) -> list[bytes]:
    return [
        serialize(REGISTRY.new(sample("PartnerRegistrationCompleted", offset + i)))
        for i in range(count)
    ]


# -- 1. envelope ------------------------------------------------------------------------------


def bench_envelope(count: int = 5000) -> Measurement:
    payloads = _registrations(count, 0)

    def ours() -> float:
        t = time.perf_counter()
        for p in payloads:
            REGISTRY.decode(p)
        return count / (time.perf_counter() - t)

    def baseline() -> float:
        t = time.perf_counter()
        for p in payloads:
            json.loads(p)
        return count / (time.perf_counter() - t)

    a, b = _median_pair(ours, baseline)
    return Measurement(
        "envelope",
        "parse + validate a CloudEvent (registration)",
        "events/s",
        a,
        b,
        "json.loads of the same bytes",
    )


# -- 2. the exactly-once inbox ------------------------------------------------------------------


def bench_inbox(database_url: str, count: int = 400) -> Measurement:
    """Our function on real PostgreSQL vs a hand-written consumer doing the same INSERT."""
    offset = [10_000]

    def ours() -> float:
        payloads = _registrations(count, offset[0])
        offset[0] += count
        handler = OnPartnerRegistrationCompleted()
        ctx = FakeContext(
            function_name="bench",
            topic=REGISTRY.get("PartnerRegistrationCompleted").topic,
            secrets={"DATABASE_URL": database_url},
            user_config={"dead_letter_topic": "persistent://hexabuilders/bench/dead-letters"},
        )
        t = time.perf_counter()
        for p in payloads:
            handler.process(p.decode(), ctx)
        return count / (time.perf_counter() - t)

    def baseline() -> float:
        payloads = [json.loads(p) for p in _registrations(count, offset[0])]
        offset[0] += count
        conn = psycopg2.connect(database_url)
        t = time.perf_counter()
        for event in payloads:
            data = event["data"]
            with conn, conn.cursor() as cur:
                cur.execute(
                    "INSERT INTO onboarding.contracts (contract_id, partner_id, contract_type,"
                    " template_id, status, business_name, contact_email, initial_data)"
                    " VALUES (gen_random_uuid()::text, %s, %s, 'TPL-STD-EMP', 'DRAFT', %s, %s,"
                    " '{}') ON CONFLICT (partner_id) DO NOTHING",
                    (
                        data["partner_id"],
                        data["preferred_contract_type"],
                        data["business_name"],
                        data["email"],
                    ),
                )
        rate = count / (time.perf_counter() - t)
        conn.close()
        return rate

    a, b = _median_pair(ours, baseline)
    return Measurement(
        "inbox",
        "function with inbox, validation, outputs (one tx per event)",
        "events/s",
        a,
        b,
        "hand-written consumer: one INSERT + commit per event",
    )


# -- 3. end to end through the host --------------------------------------------------------------


def bench_end_to_end(env: DevEnvironment, count: int = 500) -> Measurement:
    url, db = env.stack.pulsar_url, env.stack.database_url
    offset = [50_000]

    def ours() -> float:
        payloads = _registrations(count, offset[0])
        offset[0] += count
        ids = [json.loads(p)["data"]["partner_id"] for p in payloads]
        client = new_client(url)
        publisher = Publisher(client)
        t = time.perf_counter()
        for p in payloads:
            publisher.send_raw(REGISTRY.get("PartnerRegistrationCompleted").topic, p)
        conn = psycopg2.connect(db)
        while True:
            with conn, conn.cursor() as cur:
                cur.execute(
                    "SELECT count(*) FROM onboarding.contracts WHERE partner_id = ANY(%s)", (ids,)
                )
                if cur.fetchone()[0] == count:  # type: ignore[index]
                    break
            time.sleep(0.01)
        elapsed = time.perf_counter() - t
        conn.close()
        publisher.close()
        client.close()
        return count / elapsed

    def baseline() -> float:
        topic = f"persistent://hexabuilders/bench/raw-{time.time_ns()}"
        payloads = _registrations(count, 0)
        client = new_client(url)
        consumer = client.subscribe(topic, "raw", consumer_type=pulsar.ConsumerType.Shared)
        producer = client.create_producer(topic, batching_enabled=False)
        t = time.perf_counter()
        for p in payloads:
            producer.send(p)
        for _ in range(count):
            consumer.acknowledge(consumer.receive(timeout_millis=30_000))
        elapsed = time.perf_counter() - t
        client.close()
        return count / elapsed

    a, b = _median_pair(ours, baseline)
    return Measurement(
        "end-to-end",
        "publish -> host -> function -> PostgreSQL, sync publisher",
        "events/s",
        a,
        b,
        "same publisher -> broker -> plain consumer + ack",
    )


# -- 4. memory and start-up ----------------------------------------------------------------------

_PROBE = (
    "import os, sys, time, pulsar\n"
    "log = __import__('logging').getLogger('x')\n"
    "log.setLevel('ERROR')\n"
    "c = pulsar.Client(sys.argv[1], logger=log)\n"
    "p = c.create_producer('persistent://hexabuilders/bench/probe')\n"
    "print(int(open('/proc/self/status').read().split('VmRSS:')[1].split()[0]), flush=True)\n"
    "os._exit(0)\n"
)


def bench_memory(env: DevEnvironment) -> Measurement:
    rss = int(Path("/proc/self/status").read_text().split("VmRSS:")[1].split()[0])
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, env.stack.pulsar_url],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return Measurement(
        "memory",
        f"this process: host with {len(env.host.instances)} function instances loaded"
        if env.host
        else "host",
        "MiB RSS",
        rss / 1024,
        int(out.strip()) / 1024,
        "a Python process with one pulsar.Client and producer",
    )


def bench_startup(rounds: int = ROUNDS) -> Measurement:
    ours, base = [], []
    with _scratch() as home:
        for _ in range(rounds):
            env = DevEnvironment(home=home, record_state=False)
            env.start()
            assert env.timings is not None
            ours.append(env.timings.total_s)
            base.append(env.timings.stack_s)
            env.stop()
    return Measurement(
        "startup",
        "hexa up: stack + migrations + every function (warm)",
        "s",
        statistics.median(ours),
        statistics.median(base),
        "starting the embedded broker and PostgreSQL alone",
    )


@contextmanager
def _scratch() -> Iterator[Path]:
    import shutil

    home = Path(tempfile.mkdtemp(prefix="hexa-bench-", dir="/tmp"))
    try:
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)


def run_all(progress: Callable[[str], None] = lambda _: None) -> list[Measurement]:
    results = []
    progress("envelope")
    results.append(bench_envelope())
    progress("startup")
    results.append(bench_startup())
    with _scratch() as home:
        progress("inbox")
        pg = EmbeddedPostgres(home / "pg")
        try:
            url = pg.start()
            migrate(url, MIGRATIONS)
            results.append(bench_inbox(url))
        finally:
            pg.stop()
    with _scratch() as home, DevEnvironment(home=home, record_state=False) as env:
        progress("end-to-end")
        results.append(bench_end_to_end(env))
        progress("memory")
        results.append(bench_memory(env))
    return results


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def render_markdown(results: list[Measurement], command: str) -> str:
    lines = [
        "# Benchmarks",
        "",
        f"Produced by `{command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
        f" ({platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}).",
        "",
        "Each row times our path and a baseline doing the same essential work, interleaved over"
        f" {ROUNDS} rounds in the same run; medians shown. The ratio is ours / baseline (for"
        " events/s higher is better, for seconds and MiB lower is better). Absolute figures"
        " drift with the shared machine; ratios much less.",
        "",
        "| benchmark | what | ours | baseline | ratio | baseline is |",
        "|---|---|---:|---:|---:|---|",
    ]
    for m in results:
        lines.append(
            f"| {m.name} | {m.what} | {_fmt(m.ours)} {m.unit} | {_fmt(m.baseline)}"
            f" {m.unit} | {m.ratio:.2f} | {m.baseline_what} |"
        )
    return "\n".join(lines) + "\n"
