"""The pulsar-lite broker bundled in the `pulsar_lite` wheel, run as a plain child process.

`pulsar_lite.start_broker()` is not used: it only takes ports from 6650-6699, logs to
/tmp/pulsar-lite.log at info level and leaves the metrics server on 0.0.0.0:8080, so two
brokers (or a broker and anything else on 8080) collide.
"""

from __future__ import annotations

import contextlib
import http.client
import importlib.util
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from hexa.stack.errors import StackError
from hexa.stack.ports import free_ports, port_free
from hexa.stack.procfs import cmdline

_HOST = "127.0.0.1"
_START_TIMEOUT = 10.0
_STOP_TIMEOUT = 10.0
# The binary appends ".rocksdb" to --db-path.
_DB_NAME = "pulsar"


def _binary() -> Path:
    # find_spec, not `import pulsar_lite`, whose import sets up a process-wide broker manager.
    spec = importlib.util.find_spec("pulsar_lite")
    if spec is None or not spec.submodule_search_locations:
        raise StackError("the pulsar-lite package is not installed")
    binary = Path(next(iter(spec.submodule_search_locations))) / "bin" / "pulsar-lite"
    if not binary.is_file():
        raise StackError(f"the pulsar-lite package has no broker binary at {binary}")
    return binary


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection((_HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def _serves_metrics(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200 and b"pulsar_" in response.read()
    except (OSError, http.client.HTTPException):  # URLError is an OSError
        return False


class LiteBroker:
    """A pulsar-lite broker on loopback, its data, config and log under `data_dir`.

    The ports are kept across stop/start so that clients reconnect to a restarted broker.
    """

    def __init__(
        self, data_dir: Path, port: int | None = None, metrics_port: int | None = None
    ) -> None:
        self.data_dir = Path(data_dir).expanduser().resolve()
        self._port = port
        self._metrics_port = metrics_port
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the broker's port is chosen at its first start")
        return self._port

    @property
    def metrics_port(self) -> int:
        if self._metrics_port is None:
            raise RuntimeError("the broker's metrics port is chosen at its first start")
        return self._metrics_port

    @property
    def url(self) -> str:
        return f"pulsar://{_HOST}:{self.port}"

    @property
    def metrics_url(self) -> str:
        return f"http://{_HOST}:{self.metrics_port}/metrics"

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def log_path(self) -> Path:
        return self.data_dir / "broker.log"

    @property
    def _pid_file(self) -> Path:
        return self.data_dir / "broker.pid"

    def start(self, timeout: float = _START_TIMEOUT) -> str:
        """Start the broker and return its URL once it accepts connections and serves metrics.

        Takes 20-50 ms on a warm machine.
        """
        if self.running:
            return self.url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._stop_orphan()
        if self._port is None or self._metrics_port is None:
            free = iter(free_ports(2))
            self._port = self._port or next(free)
            self._metrics_port = self._metrics_port or next(free)
        for port in (self.port, self.metrics_port):
            # Otherwise another process could answer the readiness probe, and a metrics port
            # clash does not even stop the broker (it only logs an error).
            if not port_free(port, _HOST):
                raise StackError(f"cannot start pulsar-lite: {_HOST}:{port} is in use")
        config = self.data_dir / "broker.toml"
        # Unknown keys and bad values are ignored silently by the broker; the metrics probe in
        # _wait_ready is what proves that this section took effect.
        config.write_text(f'[metrics]\nenabled = true\naddr = "{_HOST}:{self.metrics_port}"\n')
        command = [str(_binary()), "--addr", f"{_HOST}:{self.port}", "--config", str(config)]
        command += ["--db-path", str(self.data_dir / _DB_NAME)]
        command += ["--log-level", "warn"]  # info costs about 25 % of consume throughput
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
            )
        self._pid_file.write_text(f"{self._process.pid}\n")
        self._wait_ready(self._process, time.monotonic() + timeout)
        return self.url

    def _wait_ready(self, process: subprocess.Popen[bytes], deadline: float) -> None:
        while not (_accepts(self.port) and _serves_metrics(self.metrics_url)):
            if process.poll() is not None:
                self._process = None
                raise StackError(
                    f"pulsar-lite exited with code {process.returncode}: {self._log_tail()}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise StackError(
                    f"pulsar-lite did not serve {self.url} and {self.metrics_url} in time: "
                    f"{self._log_tail()}"
                )
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=0.02)

    def _log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-2000:].strip() or "(empty log)"

    def _stop_orphan(self) -> None:
        """Stop a broker on this data dir left behind by a process that died without stopping it.

        It would hold the RocksDB lock, and a new broker then exits at once.
        """
        try:
            pid = int(self._pid_file.read_text())
        except (FileNotFoundError, ValueError):
            return
        db_arg = str(self.data_dir / _DB_NAME).encode()
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if db_arg not in cmdline(pid):  # gone, or the pid now belongs to another process
                return
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
            deadline = time.monotonic() + _STOP_TIMEOUT
            while db_arg in cmdline(pid) and time.monotonic() < deadline:
                time.sleep(0.02)
        if db_arg in cmdline(pid):
            raise StackError(f"the orphaned broker {pid} on {self.data_dir} does not stop")

    def stop(self, timeout: float = _STOP_TIMEOUT) -> None:
        """SIGTERM, then SIGKILL after `timeout`; returns once the process is gone."""
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        self._pid_file.unlink(missing_ok=True)

    def kill(self) -> None:
        """SIGKILL, as a crash would; the data stays for a restart."""
        process, self._process = self._process, None
        if process is None:
            return
        process.kill()
        process.wait()
