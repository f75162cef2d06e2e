"""The slice of Pulsar's admin REST API that ``hexa deploy`` needs, on the standard library.

Every failure becomes one ``AdminError`` line that names the request and what to check
(unreachable URL, rejected token, the worker's own ``reason``), because the CLI prints it as
is and a Java stack trace or an HTML error page helps nobody.
"""

from __future__ import annotations

import json
import re
import ssl
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from hexa.deploy import DeployError

NOT_FOUND = 404
_NO_PACKAGES = (NOT_FOUND, 503)
"""Answers of the packages API when the function has none, or package management is off."""


class AdminError(DeployError):
    """A request failed; ``status`` is the HTTP status when the server answered at all."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class AdminSettings:
    url: str
    token: str | None = None
    tls_ca_file: Path | None = None
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    tls_allow_insecure: bool = False
    timeout_s: float = 30.0


def _ssl_context(settings: AdminSettings) -> ssl.SSLContext | None:
    if not settings.url.startswith("https://"):
        return None
    context = ssl.create_default_context(
        cafile=str(settings.tls_ca_file) if settings.tls_ca_file else None
    )
    if settings.tls_cert_file:
        context.load_cert_chain(
            str(settings.tls_cert_file),
            str(settings.tls_key_file) if settings.tls_key_file else None,
        )
    if settings.tls_allow_insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _reason(body: bytes) -> str:
    """The worker's ``{"reason": ...}``, else Jetty's own error (what an authentication
    failure gets, as JSON or HTML), else the first line of whatever came back."""
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict) and (data.get("reason") or data.get("message")):
        return str(data.get("reason") or data["message"])  # Jetty's JSON error: `message`
    text = body.decode(errors="replace").strip()
    title = re.search(r"<title>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    if title:
        return " ".join(title[1].split())
    return text.splitlines()[0][:200] if text else "(no body)"


def _path(*segments: str) -> str:
    return "/".join(quote(s, safe="") for s in segments)


class PulsarAdmin:
    def __init__(self, settings: AdminSettings) -> None:
        self.settings = settings
        self._base = settings.url.rstrip("/")
        try:
            self._ssl = _ssl_context(settings)
        except (OSError, ssl.SSLError) as exc:
            raise AdminError(f"cannot set up TLS for {settings.url}: {exc}") from None

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        content_type: str | None = None,
    ) -> bytes:
        """One request; returns the body of a 2xx answer, raises ``AdminError`` otherwise."""
        request = urllib.request.Request(f"{self._base}{path}", data=body, method=method)
        if content_type:
            request.add_header("Content-Type", content_type)
        request.add_header("Accept", "application/json")
        if self.settings.token:
            request.add_header("Authorization", f"Bearer {self.settings.token}")
        what = f"{method} {path}"
        try:
            with urllib.request.urlopen(
                request, timeout=self.settings.timeout_s, context=self._ssl
            ) as response:
                return bytes(response.read())
        except urllib.error.HTTPError as exc:
            status = exc.code
            reason = _reason(exc.read())
            if status in (401, 403):
                raise AdminError(
                    f"{what}: HTTP {status} ({reason}): check PULSAR_AUTH_TOKEN", status
                ) from None
            raise AdminError(f"{what}: HTTP {status}: {reason}", status) from None
        except urllib.error.URLError as exc:
            raise AdminError(
                f"cannot reach the Pulsar admin API at {self._base}: {exc.reason}"
            ) from None
        except (OSError, ValueError) as exc:  # timeouts, resets, a URL that is no URL
            raise AdminError(f"{what} on {self._base} failed: {exc}") from None

    def _json(self, method: str, path: str) -> Any:
        body = self.request(method, path)
        return json.loads(body) if body else None

    # -- clusters, tenants, namespaces --------------------------------------------------------

    def clusters(self) -> list[str]:
        return list(self._json("GET", "/admin/v2/clusters"))

    def tenants(self) -> list[str]:
        return list(self._json("GET", "/admin/v2/tenants"))

    def create_tenant(self, tenant: str, clusters: list[str]) -> None:
        body = json.dumps({"allowedClusters": clusters, "adminRoles": []}).encode()
        self.request("PUT", f"/admin/v2/tenants/{_path(tenant)}", body, "application/json")

    def namespaces(self, tenant: str) -> list[str]:
        """``tenant/namespace`` names; none for a tenant that does not exist."""
        try:
            return list(self._json("GET", f"/admin/v2/namespaces/{_path(tenant)}"))
        except AdminError as exc:
            if exc.status == NOT_FOUND:
                return []
            raise

    def create_namespace(self, tenant: str, namespace: str) -> None:
        self.request("PUT", f"/admin/v2/namespaces/{_path(tenant, namespace)}")

    # -- functions ----------------------------------------------------------------------------

    def list_functions(self, tenant: str, namespace: str) -> list[str]:
        try:
            return list(self._json("GET", f"/admin/v3/functions/{_path(tenant, namespace)}"))
        except AdminError as exc:
            if exc.status == NOT_FOUND:
                return []
            raise

    def get_function(self, tenant: str, namespace: str, name: str) -> dict[str, Any] | None:
        """The stored FunctionConfig, or None when there is no such function."""
        try:
            config = self._json("GET", f"/admin/v3/functions/{_path(tenant, namespace, name)}")
        except AdminError as exc:
            if exc.status == NOT_FOUND:
                return None
            raise
        return dict(config)

    def function_status(self, tenant: str, namespace: str, name: str) -> dict[str, Any]:
        path = f"/admin/v3/functions/{_path(tenant, namespace, name)}/status"
        return dict(self._json("GET", path))

    def create_function(self, config: Mapping[str, Any], package: Path) -> None:
        # A package left behind by an earlier delete of this name (by pulsar-admin, say)
        # would make the create fail: see delete_packages.
        self.delete_packages(config["tenant"], config["namespace"], config["name"])
        self._upload("POST", config, package)

    def update_function(self, config: Mapping[str, Any], package: Path | None) -> None:
        """Without ``package`` the worker keeps the code it has."""
        self._upload("PUT", config, package)

    def delete_function(self, tenant: str, namespace: str, name: str) -> None:
        self.request("DELETE", f"/admin/v3/functions/{_path(tenant, namespace, name)}")
        self.delete_packages(tenant, namespace, name)

    def delete_packages(self, tenant: str, namespace: str, name: str) -> None:
        """Delete the code packages the worker stored for the function ``name``.

        With package management on (which the RocksDB standalone forces), the worker keeps
        ``function://t/ns/name@0`` after the function is deleted, and creating it again then
        fails with "metadata already exists" (apache/pulsar#20930). Its filesystem storage also
        leaves a deleted version's directory behind, still listed but without metadata, and
        refuses to delete that again: such versions are skipped.
        """
        packages = f"/admin/v3/packages/function/{_path(tenant, namespace, name)}"
        try:
            versions = list(self._json("GET", packages))
        except AdminError as exc:
            if exc.status in _NO_PACKAGES:
                return
            raise
        for version in versions:
            path = f"{packages}/{_path(str(version))}"
            try:
                self.request("GET", f"{path}/metadata")
            except AdminError as exc:
                if exc.status in (NOT_FOUND, 500):
                    continue
                raise
            self.request("DELETE", path)

    def _upload(self, method: str, config: Mapping[str, Any], package: Path | None) -> None:
        """``functionConfig`` (JSON) and the code as ``data``, as the Java admin client sends
        them; the file name matters, the worker keeps it for the instance."""
        boundary = uuid.uuid4().hex
        parts = [_part(boundary, "functionConfig", json.dumps(config).encode(), "application/json")]
        if package is not None:
            parts.append(
                _part(
                    boundary,
                    "data",
                    package.read_bytes(),
                    "application/octet-stream",
                    filename=package.name,
                )
            )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        path = "/admin/v3/functions/" + _path(config["tenant"], config["namespace"], config["name"])
        self.request(method, path, body, f"multipart/form-data; boundary={boundary}")


def _part(
    boundary: str, name: str, payload: bytes, content_type: str, filename: str | None = None
) -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    head = (
        f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
        f"Content-Type: {content_type}\r\n\r\n"
    )
    return head.encode() + payload + b"\r\n"
