"""A real Apache Pulsar standalone, assembled from the jars Apache publishes on Maven Central.

The Apache tarball cannot be fetched here and there is no Docker, but every jar of a release
is on Maven Central. ``deploy/pulsar-standalone/pom.xml`` pins the release; ``assemble`` copies
its runtime classpath once into ``$HEXA_HOME/pulsar/<version>/lib`` (a marker file, keyed on the
pom's digest, makes later runs skip Maven) and ``PulsarStandalone`` runs
``org.apache.pulsar.PulsarStandaloneStarter`` on that classpath as a detached child process:
broker, embedded bookie, RocksDB metadata, functions worker and admin REST API, on loopback.

The process outlives the command that started it (``hexa pulsar start`` returns), so it is
found again through a pid file, and a pid is only trusted while ``/proc/<pid>/cmdline`` still
names this run directory's config (pids are reused). Findings from running it are in
``deploy/pulsar-standalone/README.md``.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import hmac
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from hexa.paths import ROOT
from hexa.stack.ports import port_free
from hexa.stack.procfs import cmdline, rss_kib

POM = ROOT / "deploy" / "pulsar-standalone" / "pom.xml"
HOST = "127.0.0.1"
DEFAULT_PORTS = {"web": 8080, "broker": 6650, "bookie": 3181}
START_TIMEOUT = 240.0
"""The worker-enabled standalone measured about 6 s here; the deadline covers a busy CI box."""
STOP_TIMEOUT = 60.0
ASSEMBLE_TIMEOUT = 1800.0
ADMIN_ROLE = "admin"
# Sized for a 2-core / 24 GiB machine that runs the test suite next to it; `bin/pulsar` asks
# for 2 GiB heap and 4 GiB direct memory, which a single-node test broker never needs.
JVM_MEMORY = ("-Xms256m", "-Xmx768m", "-XX:MaxDirectMemorySize=768m")
# What `bin/pulsar` opens up for Java 17; without them netty and the bookie fall back to
# slower paths and log reflective-access errors.
_ADD_OPENS = (
    "java.base/java.io",
    "java.base/java.util.zip",
    "java.base/java.nio",
    "java.base/java.lang",
    "java.base/jdk.internal.misc",
    "java.base/sun.net",
    "java.management/sun.management",
    "jdk.management/com.sun.management.internal",
    "java.base/jdk.internal.platform",
)
_MARKER = ".assembled"


class StandaloneError(RuntimeError):
    """A one-line reason why the standalone cannot be assembled, started or stopped."""


class _ExitedEarly(StandaloneError):
    """The process ended by itself before it was ready."""


def pulsar_version(pom: Path = POM) -> str:
    """The release pinned in the pom: the single place the version is written."""
    node = ET.parse(pom).find("properties/pulsar.version")
    if node is None or not node.text:
        raise StandaloneError(f"{pom}: no <pulsar.version> property")
    return node.text.strip()


def missing_tools() -> str | None:
    """Why this machine cannot assemble and run the standalone, or None when it can."""
    for tool in ("java", "mvn"):
        if shutil.which(tool) is None:
            return f"`{tool}` is not on the PATH (needs Java 17+ and Maven 3.8+)"
    probe = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False)
    match = re.search(r'version "(\d+)', probe.stderr)
    if match is None or int(match[1]) < 17:
        return f"Java 17+ is needed, `java -version` says: {probe.stderr.splitlines()[:1]}"
    return None


def lib_dir(home: Path, version: str | None = None) -> Path:
    return home / "pulsar" / (version or pulsar_version()) / "lib"


def _pom_digest() -> str:
    return hashlib.sha256(POM.read_bytes()).hexdigest()


def is_assembled(home: Path) -> bool:
    marker = lib_dir(home) / _MARKER
    return marker.is_file() and marker.read_text().strip() == _pom_digest()


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Serialise assemblies of one version across processes (two test runs, a CLI call)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def assemble(home: Path) -> Path:
    """The classpath directory of the pinned release, running Maven only when it is missing.

    Maven writes into a scratch directory that replaces ``lib`` only once complete, so an
    interrupted download never leaves a half classpath that looks assembled.
    """
    lib = lib_dir(home)
    if is_assembled(home):
        return lib
    with _locked(lib.parent / ".lock"):
        if is_assembled(home):
            return lib
        reason = missing_tools()
        if reason:
            raise StandaloneError(f"cannot assemble Apache Pulsar: {reason}")
        partial = lib.with_name("lib.partial")
        shutil.rmtree(partial, ignore_errors=True)
        log = lib.parent / "assemble.log"
        command = [
            "mvn",
            "-B",
            "-f",
            str(POM),
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            "-Dmdep.prependGroupId=true",
            f"-DoutputDirectory={partial}",
        ]
        with log.open("wb") as out:
            try:
                result = subprocess.run(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    timeout=ASSEMBLE_TIMEOUT,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                raise StandaloneError(
                    f"mvn did not finish in {ASSEMBLE_TIMEOUT:.0f}s; see {log}"
                ) from None
        if result.returncode != 0:
            errors = [ln for ln in log.read_text(errors="replace").splitlines() if "[ERROR]" in ln]
            first = errors[0].removeprefix("[ERROR] ") if errors else "no [ERROR] line"
            raise StandaloneError(f"mvn failed ({first[:300]}); see {log}")
        shutil.rmtree(lib, ignore_errors=True)
        partial.rename(lib)
        (lib / _MARKER).write_text(_pom_digest() + "\n")
    return lib


def java_command(
    lib: Path, main_class: str, args: Sequence[str], jvm: Sequence[str] = ()
) -> list[str]:
    if shutil.which("java") is None:
        raise StandaloneError("`java` is not on the PATH (needs Java 17+)")
    opens = [arg for module in _ADD_OPENS for arg in ("--add-opens", f"{module}=ALL-UNNAMED")]
    return ["java", *jvm, *opens, "-cp", f"{lib}/*", main_class, *args]


def make_token(secret: bytes, subject: str) -> str:
    """An HS256 JWT as Pulsar's ``AuthenticationProviderToken`` checks it (no expiry)."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = b64(b'{"alg":"HS256"}') + "." + b64(json.dumps({"sub": subject}).encode())
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def _pick_ports() -> dict[str, int]:
    """The usual ports where free, so ``pulsar-admin`` defaults work; others where taken."""
    chosen: dict[str, int] = {}
    with contextlib.ExitStack() as stack:
        for name, default in DEFAULT_PORTS.items():
            if port_free(default):
                chosen[name] = default
                continue
            sock = stack.enter_context(socket.socket())
            sock.bind((HOST, 0))
            chosen[name] = sock.getsockname()[1]
    return chosen


@dataclass(frozen=True)
class Status:
    running: bool
    pid: int | None
    admin_url: str
    service_url: str
    rss_mib: float | None
    log: Path
    token_file: Path | None


class PulsarStandalone:
    """One standalone whose config, data, log, pid and ports live under ``run_dir``.

    Ports are chosen at the first start and kept in ``ports.json``: the worker records its own
    address in the function metadata, and clients of a killed broker reconnect to the same one.
    """

    def __init__(self, home: Path, run_dir: Path | None = None, token_auth: bool = False) -> None:
        self.home = Path(home).expanduser().resolve()
        self.run_dir = (run_dir or self.home / "pulsar" / "standalone").expanduser().resolve()
        self.token_auth = token_auth
        self._process: subprocess.Popen[bytes] | None = None
        self._log_offset = 0

    # -- where things are --------------------------------------------------------------------

    @property
    def conf_dir(self) -> Path:
        return self.run_dir / "conf"

    @property
    def data_dir(self) -> Path:
        return self.run_dir / "data"

    @property
    def log_path(self) -> Path:
        return self.run_dir / "standalone.log"

    @property
    def pid_file(self) -> Path:
        return self.run_dir / "standalone.pid"

    @property
    def ports_file(self) -> Path:
        return self.run_dir / "ports.json"

    @property
    def token_file(self) -> Path:
        return self.run_dir / "admin.token"

    @property
    def client_conf(self) -> Path:
        return self.conf_dir / "client.conf"

    @property
    def ports(self) -> dict[str, int]:
        try:
            data = json.loads(self.ports_file.read_text())
        except (OSError, ValueError):
            raise StandaloneError(f"no standalone was ever started in {self.run_dir}") from None
        return {name: int(data[name]) for name in DEFAULT_PORTS}

    @property
    def admin_url(self) -> str:
        return f"http://{HOST}:{self.ports['web']}"

    @property
    def service_url(self) -> str:
        return f"pulsar://{HOST}:{self.ports['broker']}"

    @property
    def token(self) -> str | None:
        """The admin token when this run dir's broker checks tokens."""
        try:
            return self.token_file.read_text().strip()
        except OSError:
            return None

    # -- life cycle ---------------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        """The standalone's pid, if it runs (started by this object or another process)."""
        child = self._process
        if child is not None:
            # Our own child: poll() also reaps it, and /proc/<pid>/cmdline may still be
            # Python's for a moment after the fork.
            return child.pid if child.poll() is None else None
        try:
            pid = int(self.pid_file.read_text())
        except (OSError, ValueError):
            return None
        if str(self.conf_dir / "standalone.conf").encode() not in cmdline(pid):
            return None  # gone, or the pid now belongs to another process
        return pid

    @property
    def running(self) -> bool:
        return self.pid is not None

    def start(self, timeout: float = START_TIMEOUT) -> str:
        """Start (or find running) and return the admin URL once the functions worker answers."""
        if self.running:
            self._wait_ready(time.monotonic() + timeout)
            return self.admin_url
        lib = assemble(self.home)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        if not self.ports_file.exists():
            self.ports_file.write_text(json.dumps(_pick_ports(), indent=2) + "\n")
        for name, port in self.ports.items():
            if not port_free(port):
                raise StandaloneError(f"cannot start Pulsar: {name} port {HOST}:{port} is in use")
        self._write_config()
        args = [
            "--config",
            str(self.conf_dir / "standalone.conf"),
            "--functions-worker-conf",
            str(self.conf_dir / "functions_worker.yml"),
            "--no-stream-storage",
            "--metadata-dir",
            str(self.data_dir / "metadata"),
            "--bookkeeper-dir",
            str(self.data_dir / "bookkeeper"),
            "--bookkeeper-port",
            str(self.ports["bookie"]),
        ]
        jvm = [
            *JVM_MEMORY,
            "-Dio.netty.tryReflectionSetAccessible=true",
            "-Djute.maxbuffer=10485760",
            "-Djava.net.preferIPv4Stack=true",
            f"-Dlog4j.configurationFile={self.conf_dir / 'log4j2.xml'}",
        ]
        command = java_command(lib, "org.apache.pulsar.PulsarStandaloneStarter", args, jvm)
        deadline = time.monotonic() + timeout
        self._launch(command)
        try:
            self._wait_ready(deadline)
        except _ExitedEarly:
            # After a SIGKILL the bookie can find its own stale registration in the RocksDB
            # store and fight it for the lock until it gives up and the process exits (about
            # 30 s, seen in 2 of 4 restarts right after a first start); the store is settled
            # by then, and a second start succeeds.
            self._launch(command)
            self._wait_ready(deadline)
        return self.admin_url

    def _launch(self, command: list[str]) -> None:
        env = {**os.environ, "PULSAR_HOME": str(self.run_dir)}
        with self.log_path.open("ab") as log:
            self._log_offset = log.tell()
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.run_dir,
                env=env,
                # `hexa pulsar start` returns at once; a Ctrl-C in that shell must not stop it.
                start_new_session=True,
            )
        self.pid_file.write_text(f"{self._process.pid}\n")

    def _wait_ready(self, deadline: float) -> None:
        """Until the admin API answers and the functions worker has finished initialising."""
        while not self._ready():
            if not self.running:
                raise _ExitedEarly(f"Pulsar exited during start-up: {self._log_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise StandaloneError(f"Pulsar was not ready in time: {self._log_tail()}")
            time.sleep(0.25)

    def _ready(self) -> bool:
        # The worker answers 503 until it has read its metadata topic, refuses writes ("Leader
        # not yet ready") until it has elected itself, and the starter creates public/default
        # only after the broker is up: the admin API answering is not enough.
        functions = _get(self.admin_url + "/admin/v3/functions/public/default", self.token)
        leader = _get(self.admin_url + "/admin/v2/worker/cluster/leader/ready", self.token)
        namespaces = _get(self.admin_url + "/admin/v2/namespaces/public", self.token)
        return (
            functions is not None
            and leader == b"true"
            and b'"public/default"' in (namespaces or b"")
        )

    def _log_tail(self) -> str:
        """The first error since the last launch: what follows is usually the shutdown it
        caused."""
        try:
            with self.log_path.open("rb") as log:
                log.seek(self._log_offset)
                lines = log.read().decode(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        # The bookie's first start always logs this one, harmlessly.
        errors = [ln for ln in lines if " ERROR " in ln and "lastMark" not in ln]
        return f"{(errors or lines or ['(empty log)'])[0][:300]} (log: {self.log_path})"

    def stop(self, timeout: float = STOP_TIMEOUT) -> bool:
        """SIGTERM, then SIGKILL after ``timeout``; False when nothing was running."""
        return self._signal(signal.SIGTERM, timeout)

    def kill(self) -> bool:
        """SIGKILL, as a crash would: the data stays for the next start."""
        return self._signal(signal.SIGKILL, STOP_TIMEOUT)

    def _signal(self, sig: signal.Signals, timeout: float) -> bool:
        pid = self.pid
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        os.kill(pid, sig)
        deadline = time.monotonic() + timeout
        while self._alive(pid):
            if time.monotonic() > deadline:
                if sig == signal.SIGKILL:
                    raise StandaloneError(f"Pulsar {pid} survives SIGKILL")
                os.kill(pid, signal.SIGKILL)
                deadline = time.monotonic() + STOP_TIMEOUT
                sig = signal.SIGKILL
            time.sleep(0.1)
        self.pid_file.unlink(missing_ok=True)
        self._process = None
        return True

    def _alive(self, pid: int) -> bool:
        if self._process is not None and self._process.pid == pid:
            return self._process.poll() is None  # reaps our own child, so it is not a zombie
        return bool(cmdline(pid))

    def status(self) -> Status:
        pid = self.pid
        rss = rss_kib(pid) if pid else None
        return Status(
            running=pid is not None,
            pid=pid,
            admin_url=self.admin_url,
            service_url=self.service_url,
            rss_mib=None if rss is None else rss / 1024,
            log=self.log_path,
            token_file=self.token_file if self.token_file.exists() else None,
        )

    def admin_command(self, args: Sequence[str]) -> list[str]:
        """``pulsar-admin ARGS`` from the same release, pointed at this standalone."""
        return admin_command(self.home, self.client_conf, args)

    # -- configuration ------------------------------------------------------------------------

    def _write_config(self) -> None:
        self.conf_dir.mkdir(parents=True, exist_ok=True)
        ports = self.ports
        auth: dict[str, str] = {}
        if self.token_auth:
            key = self.conf_dir / "token-secret.key"
            if not key.exists():
                key.write_bytes(secrets.token_bytes(32))
                key.chmod(0o600)
            self.token_file.write_text(make_token(key.read_bytes(), ADMIN_ROLE) + "\n")
            self.token_file.chmod(0o600)
            auth = {
                "authenticationEnabled": "true",
                "authenticationProviders": (
                    "org.apache.pulsar.broker.authentication.AuthenticationProviderToken"
                ),
                "tokenSecretKey": f"file://{key}",
                "superUserRoles": ADMIN_ROLE,
                "brokerClientAuthenticationPlugin": (
                    "org.apache.pulsar.client.impl.auth.AuthenticationToken"
                ),
                "brokerClientAuthenticationParameters": f"file://{self.token_file}",
            }
        else:
            self.token_file.unlink(missing_ok=True)
        standalone = {
            "clusterName": "standalone",
            "metadataStoreUrl": "",
            "configurationMetadataStoreUrl": "",
            "brokerServicePort": str(ports["broker"]),
            "webServicePort": str(ports["web"]),
            "bindAddress": HOST,
            "advertisedAddress": HOST,
            # One bookie: the broker defaults (2) would never get a quorum.
            "managedLedgerDefaultEnsembleSize": "1",
            "managedLedgerDefaultWriteQuorum": "1",
            "managedLedgerDefaultAckQuorum": "1",
            "loadManagerClassName": "org.apache.pulsar.broker.loadbalance.NoopLoadManager",
            "allowAutoTopicCreation": "true",
            "allowAutoTopicCreationType": "non-partitioned",
            "brokerDeleteInactiveTopicsEnabled": "false",
            "functionsWorkerEnabled": "true",
            # The embedded bookie reads its keys from this file too. Written out, not left to
            # defaults: the test bookie of some versions turns journalled data off.
            "ledgerStorageClass": "org.apache.bookkeeper.bookie.storage.ldb.DbLedgerStorage",
            "journalWriteData": "true",
            "journalSyncData": "true",
            "allowLoopback": "true",
            # Without these the bookie listens on 0.0.0.0, on a port of its own choosing.
            "listeningInterface": "lo",
            "allowEphemeralPorts": "true",
            "diskUsageThreshold": "0.99",
            "diskUsageWarnThreshold": "0.99",
            "dbStorage_writeCacheMaxSizeMb": "32",
            "dbStorage_readAheadCacheMaxSizeMb": "32",
            "STORAGE_PATH": str(self.data_dir / "packages-storage"),
            **auth,
        }
        (self.conf_dir / "standalone.conf").write_text(
            "".join(f"{key}={value}\n" for key, value in standalone.items())
        )
        instances = self.run_dir / "instances"
        worker = {
            "workerId": "standalone",
            "workerHostname": HOST,
            "workerPort": ports["web"],
            "pulsarFunctionsNamespace": "public/functions",
            "pulsarFunctionsCluster": "standalone",
            "functionMetadataTopicName": "metadata",
            "clusterCoordinationTopicName": "coordinate",
            "functionAssignmentTopicName": "assignments",
            "useCompactedMetadataTopic": False,
            "numFunctionPackageReplicas": 1,
            "downloadDirectory": str(self.data_dir / "download" / "pulsar_functions"),
            "schedulerClassName": (
                "org.apache.pulsar.functions.worker.scheduler.RoundRobinScheduler"
            ),
            "failureCheckFreqMs": 30000,
            "rescheduleTimeoutMs": 60000,
            "rebalanceCheckFreqSec": -1,
            "initialBrokerReconnectMaxRetries": 60,
            "assignmentWriteMaxRetries": 60,
            "instanceLivenessCheckFreqMs": 30000,
            "topicCompactionFrequencySec": 1800,
            "functionRuntimeFactoryClassName": (
                "org.apache.pulsar.functions.runtime.process.ProcessRuntimeFactory"
            ),
            # Not checked at start-up, but the worker refuses to start when they are unset.
            # Neither file is published on Maven Central: Python instances cannot start here.
            "functionRuntimeFactoryConfigs": {
                "logDirectory": str(self.data_dir / "function-logs"),
                "javaInstanceJarLocation": str(instances / "java-instance.jar"),
                "pythonInstanceLocation": str(
                    instances / "python-instance" / "python_instance_main.py"
                ),
                "extraFunctionDependenciesDir": str(instances / "deps"),
            },
            "authenticationEnabled": self.token_auth,
            "authorizationEnabled": False,
        }
        (self.conf_dir / "functions_worker.yml").write_text(json.dumps(worker, indent=2) + "\n")
        (self.conf_dir / "log4j2.xml").write_text(_LOG4J2)
        client = {"webServiceUrl": self.admin_url, "brokerServiceUrl": self.service_url}
        if self.token_auth:
            client["authPlugin"] = "org.apache.pulsar.client.impl.auth.AuthenticationToken"
            client["authParams"] = f"file://{self.token_file}"
        write_client_conf(self.client_conf, client)


def _get(url: str, token: str | None = None, timeout: float = 2.0) -> bytes | None:
    """The body of a 200 answer, or None (refused, not yet listening, any other status)."""
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return bytes(response.read()) if response.status == 200 else None
    except (OSError, http.client.HTTPException):  # HTTPError and URLError are OSErrors
        return None


def write_client_conf(path: Path, values: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{key}={value}\n" for key, value in values.items()))


def admin_command(home: Path, client_conf: Path, args: Sequence[str]) -> list[str]:
    """``pulsar-admin`` of the pinned release (``PulsarAdminTool`` from pulsar-client-tools)."""
    # C1 only: a one-shot CLI spends its life starting up, not in hot loops.
    jvm = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m"]
    return java_command(
        assemble(home),
        "org.apache.pulsar.admin.cli.PulsarAdminTool",
        [str(client_conf), *args],
        jvm,
    )


_LOG4J2 = """\
<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by hexa: everything at INFO to stdout, which the launcher sends to one log file. -->
<Configuration status="warn">
  <Appenders>
    <Console name="stdout" target="SYSTEM_OUT">
      <PatternLayout pattern="%d{ISO8601} %-5level [%t] %c{1} - %msg%n"/>
    </Console>
  </Appenders>
  <Loggers>
    <Root level="info"><AppenderRef ref="stdout"/></Root>
  </Loggers>
</Configuration>
"""
