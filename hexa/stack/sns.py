"""A local SNS (moto in server mode) so the notifications function works on a laptop.

The function's code is the production code: boto3 finds the local endpoint through
``AWS_ENDPOINT_URL_SNS`` and publishes to the ARN of ``deploy/functions.yaml`` unchanged (moto
takes the account from ``MOTO_ACCOUNT_ID``).  Nothing starts when the user already points
``AWS_ENDPOINT_URL_SNS`` somewhere (LocalStack, a real account).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable

import boto3

from hexa.stack.ports import free_ports

ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_SNS"
_HOST = "127.0.0.1"


def _parse_arn(arn: str) -> tuple[str, str, str]:
    """(region, account, topic name) of ``arn:aws:sns:<region>:<account>:<name>``."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[:3] != ["arn", "aws", "sns"]:
        raise ValueError(f"not an SNS topic ARN: {arn!r}")
    return parts[3], parts[4], parts[5]


class LocalSns:
    def __init__(self, topic_arns: Iterable[str]) -> None:
        self._arns = sorted(set(topic_arns))
        accounts = {_parse_arn(a)[1] for a in self._arns}
        if len(accounts) > 1:
            raise ValueError(f"local SNS serves one account, the YAML names {sorted(accounts)}")
        self._account = accounts.pop() if accounts else None
        self._server: object | None = None
        self._saved: dict[str, str | None] = {}
        self.url: str | None = None

    def start(self) -> str:
        from moto.server import ThreadedMotoServer

        # moto's HTTP server logs one line per request through werkzeug.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        port = free_ports(1)[0]
        server = ThreadedMotoServer(ip_address=_HOST, port=port, verbose=False)
        server.start()
        self._server = server
        self.url = f"http://{_HOST}:{port}"
        overrides = {ENDPOINT_VARIABLE: self.url}
        if self._account:
            overrides["MOTO_ACCOUNT_ID"] = self._account
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            if not os.environ.get(key):
                overrides[key] = "local"
        for key, value in overrides.items():
            self._saved[key] = os.environ.get(key)
            os.environ[key] = value
        for arn in self._arns:
            region, _, name = _parse_arn(arn)
            boto3.client("sns", region_name=region, endpoint_url=self.url).create_topic(Name=name)
        return self.url

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.stop()  # type: ignore[attr-defined]
        self._server = None
        for key, value in self._saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved.clear()
