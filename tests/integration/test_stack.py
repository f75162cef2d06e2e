"""The embedded stack against real processes: pulsar-lite, PostgreSQL and crashed owners.

Every wait polls a condition up to a deadline. Linux only: process checks read /proc.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pulsar
import pytest

from hexa.pulsar_client import new_client
from hexa.stack import EmbeddedPostgres, LiteBroker, Stack, default_home
from tests.conditions import wait_for

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


def proc_fields(pid: int) -> list[str] | None:
    """/proc/PID/stat after the command name: state, ppid, ...; None once the pid is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except (FileNotFoundError, ProcessLookupError):
        return None


def alive(pid: int) -> bool:
    fields = proc_fields(pid)
    return fields is not None and fields[0] != "Z"


def postmaster_pid(pgdata: Path) -> int:
    return int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])


def server_pids(pgdata: Path) -> set[int]:
    """The postmaster and its children (their titles do not name the data dir)."""
    postmaster = postmaster_pid(pgdata)
    children = {
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and (fields := proc_fields(int(entry.name))) is not None
        if fields[1] == str(postmaster)
    }
    return {postmaster} | children


def listening(pid: int) -> set[tuple[str, int]]:
    """The IPv4 (address, port) pairs on which `pid` listens."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(FileNotFoundError):  # closed since the listing
            if (link := os.readlink(fd)).startswith("socket:["):
                inodes.add(link[8:-1])
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
            address, port = fields[1].split(":")
            found.add((socket.inet_ntoa(bytes.fromhex(address)[::-1]), int(port, 16)))
    return found


def query(url: str, sql: str) -> list[tuple[Any, ...]]:
    with (
        contextlib.closing(psycopg2.connect(url)) as connection,
        connection,  # commits
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
        return cursor.fetchall() if cursor.description else []


def pulsar_client(url: str) -> pulsar.Client:
    # Unsupported commands get no reply from pulsar-lite: do not wait the default 30 s.
    return new_client(url, operation_timeout_seconds=5)


def topic_name() -> str:
    return f"stack-test-{uuid.uuid4().hex[:12]}"


def stop_leftovers(home: Path) -> None:
    """Stop, by their recorded pids, servers that a failed test left running."""
    signalled = []
    for pid_file, name, sig in [
        *((path, "postgres", signal.SIGINT) for path in home.rglob("postmaster.pid")),
        *((path, "pulsar-lite", signal.SIGKILL) for path in home.rglob("broker.pid")),
    ]:
        with contextlib.suppress(ValueError, OSError):
            pid = int(pid_file.read_text().split("\n", 1)[0])
            if Path(f"/proc/{pid}/comm").read_text().strip() == name:
                os.kill(pid, sig)  # SIGINT is PostgreSQL's fast shutdown
                signalled.append(pid)
    wait_for(lambda: not any(alive(pid) for pid in signalled), 30, "exit of leftover servers")


@pytest.fixture
def home() -> Iterator[Path]:
    # Not tmp_path: when TMPDIR is under /root, the embedded PostgreSQL (as root) would refuse
    # it, and it chmods every parent of its data dir.
    path = Path(tempfile.mkdtemp(dir="/tmp", prefix="hexa-stack-test-"))
    yield path
    stop_leftovers(path)
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def broker(home: Path) -> Iterator[LiteBroker]:
    broker = LiteBroker(home / "broker")
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def postgres(home: Path) -> Iterator[EmbeddedPostgres]:
    postgres = EmbeddedPostgres(home / "postgres")
    yield postgres
    postgres.stop()


@contextlib.contextmanager
def owner_process(code: str, *args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Run `code` in a child Python that prints one line when ready, then waits on stdin.

    The caller kills it to simulate a crash of the process owning a server.
    """
    with subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,  # `-c` puts the working directory on sys.path
    ) as child:
        assert child.stdout is not None
        try:
            # The child's own start deadlines bound this read; EOF means it died.
            line = child.stdout.readline().strip()
            assert line, f"the owner process exited with code {child.wait()}"
            yield child, line
        finally:
            child.kill()


OWN_POSTGRES = """
import sys
from pathlib import Path
from hexa.stack import EmbeddedPostgres
print(EmbeddedPostgres(Path(sys.argv[1])).start(), flush=True)
sys.stdin.read()
"""

OWN_BROKER = """
import sys
from pathlib import Path
from hexa.stack import LiteBroker
broker = LiteBroker(Path(sys.argv[1]))
broker.start()
print(broker.pid, flush=True)
sys.stdin.read()
"""


def test_broker_round_trip_on_shared_subscription(broker: LiteBroker) -> None:
    assert broker.running
    assert broker.url == f"pulsar://127.0.0.1:{broker.port}"
    topic = topic_name()
    client = pulsar_client(broker.url)
    try:
        consumer = client.subscribe(topic, "it", consumer_type=pulsar.ConsumerType.Shared)
        client.create_producer(topic).send(b"hello")
        message = consumer.receive(timeout_millis=5000)
        assert message.data() == b"hello"
        consumer.acknowledge(message)
    finally:
        client.close()


def test_broker_listens_on_loopback_only_and_reports_back_log(broker: LiteBroker) -> None:
    assert broker.pid is not None
    # Without the config's [metrics] section the broker would also listen on 0.0.0.0:8080.
    assert listening(broker.pid) == {
        ("127.0.0.1", broker.port),
        ("127.0.0.1", broker.metrics_port),
    }
    topic = topic_name()
    client = pulsar_client(broker.url)
    try:
        client.subscribe(topic, "lagging", consumer_type=pulsar.ConsumerType.Shared)
        client.create_producer(topic).send(b"not consumed")
        wanted = f'subscription="lagging",topic="{topic}"'
        lines: list[str] = []

        def back_log_is_one() -> bool:
            with urllib.request.urlopen(broker.metrics_url, timeout=2) as response:
                text = response.read().decode()
            lines[:] = [line for line in text.splitlines() if wanted in line]
            # The gauges are refreshed about every 5 s.
            return any(
                line.startswith("pulsar_subscription_back_log{") and line.endswith(" 1")
                for line in lines
            )

        wait_for(back_log_is_one, 15, f"pulsar_subscription_back_log 1 for {wanted}")
    finally:
        client.close()


def test_broker_restarts_with_the_same_ports(broker: LiteBroker) -> None:
    url, metrics_url, pid = broker.url, broker.metrics_url, broker.pid
    broker.stop()
    assert not broker.running and broker.pid is None
    assert broker.start() == url
    assert broker.metrics_url == metrics_url and broker.pid != pid


@pytest.mark.slow
def test_broker_keeps_an_unacked_message_across_sigkill(broker: LiteBroker) -> None:
    topic = topic_name()
    client = pulsar_client(broker.url)
    try:
        consumer = client.subscribe(topic, "durable", consumer_type=pulsar.ConsumerType.Shared)
        client.create_producer(topic).send(b"unacked")
        assert consumer.receive(timeout_millis=5000).data() == b"unacked"  # never acknowledged
    finally:
        client.close()
    old_pid = broker.pid
    assert old_pid is not None
    broker.kill()
    assert not broker.running and not alive(old_pid)

    again = LiteBroker(broker.data_dir, port=broker.port, metrics_port=broker.metrics_port)
    try:
        assert again.start() == broker.url
        client = pulsar_client(again.url)
        try:
            consumer = client.subscribe(topic, "durable", consumer_type=pulsar.ConsumerType.Shared)
            message = consumer.receive(timeout_millis=10_000)
            assert message.data() == b"unacked"
            consumer.acknowledge(message)
        finally:
            client.close()
    finally:
        again.stop()


@pytest.mark.slow
def test_broker_replaces_the_orphan_of_a_killed_owner(home: Path) -> None:
    data_dir = home / "broker"
    with owner_process(OWN_BROKER, str(data_dir)) as (owner, line):
        orphan = int(line)
        owner.kill()
        owner.wait()
    assert alive(orphan)  # it holds the RocksDB lock: a plain second broker would exit

    broker = LiteBroker(data_dir)
    try:
        broker.start()
        assert not alive(orphan)
        assert broker.running
    finally:
        broker.stop()


def test_postgres_answers_and_stop_leaves_no_process(postgres: EmbeddedPostgres) -> None:
    url = postgres.start()
    assert url == postgres.url and postgres.running
    assert query(url, "SELECT 1") == [(1,)]
    pids = server_pids(postgres.data_dir)
    assert len(pids) > 1

    postgres.stop()
    assert not postgres.running
    wait_for(lambda: not any(alive(pid) for pid in pids), 10, "exit of every server process")
    postgres.stop()  # idempotent


@pytest.mark.skipif(os.geteuid() != 0, reason="only root makes the package chmod parents")
def test_postgres_refuses_a_data_dir_under_root() -> None:
    mode = Path("/root").stat().st_mode
    target = Path(f"/root/hexa-stack-test-{uuid.uuid4().hex[:8]}")
    with pytest.raises(RuntimeError, match="under /root"):
        EmbeddedPostgres(target / "postgres").start()
    assert not target.exists()
    assert stat.S_IMODE(Path("/root").stat().st_mode) == stat.S_IMODE(mode)


@pytest.mark.slow
def test_postgres_starts_cleanly_after_its_owner_was_killed(home: Path) -> None:
    pgdata = home / "postgres"
    with owner_process(OWN_POSTGRES, str(pgdata)) as (owner, url):
        owner.kill()
        owner.wait()
    orphan = postmaster_pid(pgdata)
    assert alive(orphan)
    assert owner.pid in json.loads((pgdata / ".handle_pids.json").read_text())

    postgres = EmbeddedPostgres(pgdata)
    try:
        assert postgres.start() == url
        assert postmaster_pid(pgdata) == orphan  # attached to the orphan
        assert query(url, "SELECT 1") == [(1,)]
        assert owner.pid not in json.loads((pgdata / ".handle_pids.json").read_text())
        pids = server_pids(pgdata)
    finally:
        postgres.stop()
    wait_for(lambda: not any(alive(pid) for pid in pids), 10, "exit of every server process")


@pytest.mark.slow
def test_postgres_recovers_after_its_postmaster_was_killed(postgres: EmbeddedPostgres) -> None:
    url = postgres.start()
    query(url, "CREATE TABLE kept (id int); INSERT INTO kept VALUES (42)")
    postmaster = postmaster_pid(postgres.data_dir)
    os.kill(postmaster, signal.SIGKILL)
    wait_for(lambda: not alive(postmaster), 10, "death of the postmaster")
    assert not postgres.running

    # Until PID 1 reaps the zombie, the package would hand out the dead server's URL.
    assert postgres.start() == url
    assert query(url, "SELECT id FROM kept") == [(42,)]
    pids = server_pids(postgres.data_dir)
    postgres.stop()
    wait_for(lambda: not any(alive(pid) for pid in pids), 10, "exit of every server process")


def test_postgres_ignores_a_postmaster_pid_now_used_by_another_process(
    postgres: EmbeddedPostgres,
) -> None:
    postgres.start()
    pid_file = postgres.data_dir / "postmaster.pid"
    lines = pid_file.read_text().split("\n")
    postgres.stop()
    # As after a reboot: the dead server's pid belongs to an unrelated live process (this one),
    # to which the package would attach and which PostgreSQL would take for a running server.
    pid_file.write_text("\n".join([str(os.getpid()), *lines[1:]]))

    assert query(postgres.start(), "SELECT 1") == [(1,)]


def test_stack_with_both_urls_starts_nothing(home: Path) -> None:
    stack_home = home / "unused"
    pulsar_url = "pulsar://pulsar.example:6650"
    database_url = "postgresql://hexa@db.example:5432/hexa"
    with Stack(stack_home, pulsar_url=pulsar_url, database_url=database_url) as stack:
        assert stack.broker is None and stack.postgres is None
        assert stack.pulsar_url == pulsar_url
        assert stack.database_url == database_url
        assert stack.broker_metrics_url is None
    assert not stack_home.exists()
    stack.stop()


def test_stack_stops_only_what_it_started(home: Path) -> None:
    external = EmbeddedPostgres(home / "external-postgres")
    try:
        database_url = external.start()
        stack = Stack(home / "stack", database_url=database_url)
        with stack:
            assert stack.postgres is None and stack.broker is not None
            assert stack.database_url == database_url
            assert stack.pulsar_url == stack.broker.url
            assert stack.broker_metrics_url == stack.broker.metrics_url
            client = pulsar_client(stack.pulsar_url)
            try:
                client.create_producer(topic_name()).send(b"ping")
            finally:
                client.close()
        assert not stack.broker.running
        stack.stop()
        assert external.running
        assert query(database_url, "SELECT 1") == [(1,)]
    finally:
        external.stop()


def test_default_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEXA_HOME", "/srv/hexa")
    assert default_home() == Path("/srv/hexa")
    monkeypatch.delenv("HEXA_HOME")
    if os.geteuid() == 0:
        assert default_home() == Path("/var/lib/hexa")
    else:
        assert default_home() == Path.home() / ".local/share/hexa"
