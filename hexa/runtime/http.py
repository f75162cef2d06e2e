"""The host's one HTTP endpoint: Prometheus metrics and the health checks.

A real worker exposes one metrics port per instance; the local host runs every instance in
one process, so one server serves them all, with the health checks next to them. It binds
to loopback only: the development stack has no authentication.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from hexa.runtime.health import EventsHealth, HealthResult, live, ready
from hexa.runtime.metrics import Metrics

_log = logging.getLogger(__name__)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a hung client must not keep the host from exiting


class _IPv6Server(_Server):
    address_family = socket.AF_INET6


class ObservabilityServer:
    """``/metrics``, ``/health/events``, ``/health/live`` and ``/health/ready``; 404 otherwise.

    Served from a daemon thread, one thread per request, so a slow health check does not
    hold up a scrape.
    """

    def __init__(
        self,
        metrics: Metrics,
        health: EventsHealth,
        ready_probe: Callable[[], bool],
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if not _is_loopback(host):
            raise ValueError(f"the observability server binds to loopback only, not {host!r}")
        self.metrics = metrics
        self.health = health
        self.ready_probe = ready_probe
        self._host = host
        self._port = port
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopped = False

    @property
    def url(self) -> str:
        """``http://host:port`` with the port actually bound (``port=0`` picks a free one)."""
        if self._server is None:
            raise RuntimeError("the observability server is not serving")
        host, port = self._server.server_address[:2]
        if isinstance(host, bytes):
            host = host.decode()
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def start(self) -> None:
        """Bind and serve; a no-op when already serving. A stopped server cannot restart."""
        with self._lock:
            if self._stopped:
                raise RuntimeError("the observability server was stopped")
            if self._server is not None:
                return
            server_class = _IPv6Server if ":" in self._host else _Server
            server = server_class((self._host, self._port), self._handler_class())
            thread = threading.Thread(
                target=server.serve_forever,
                # shutdown() waits up to one poll interval; the default 0.5 s slows every stop.
                kwargs={"poll_interval": 0.05},
                name="observability-http",
                daemon=True,
            )
            thread.start()
            self._server, self._thread = server, thread

    def stop(self) -> None:
        """Stop serving and close the socket; safe to call more than once."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server, self._thread = None, None
            self._stopped = True
        if server is None or thread is None:
            return
        server.shutdown()
        server.server_close()
        thread.join()

    def _respond(self, path: str) -> tuple[int, str, bytes]:
        """(status, content type, body) for a GET of ``path``."""
        if path == "/metrics":
            self.health.update_backlog_gauges()
            return 200, CONTENT_TYPE_PLAIN_0_0_4, self.metrics.render()
        results: dict[str, Callable[[], HealthResult]] = {
            "/health/events": self.health.events,
            "/health/live": live,
            "/health/ready": lambda: ready(self.ready_probe),
        }
        if path in results:
            status, body = results[path]()
            return status, "application/json", json.dumps(body).encode()
        return 404, "application/json", json.dumps({"error": f"no such path: {path}"}).encode()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        respond = self._respond

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                try:
                    status, content_type, body = respond(self.path.split("?", 1)[0])
                except Exception:
                    _log.exception("%s failed", self.path)
                    status, content_type = 500, "application/json"
                    body = json.dumps({"error": "internal error, see the host log"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                # Not stderr: scrapes every few seconds would drown the host's JSON logs.
                _log.debug("%s " + format, self.address_string(), *args)

        return Handler
