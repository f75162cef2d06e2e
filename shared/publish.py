"""Publishing through ``context.publish`` and waiting until the broker confirmed every send.

The released runtime acks the input as soon as ``process`` returns, without waiting for
``context.publish`` results, so the only way not to lose an output is to wait here for the
callbacks and fail (nack) when one does not come back ``Ok``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import pulsar

from shared.errors import Reason, TransientError


class Publisher(Protocol):
    def publish(
        self,
        topic_name: str,
        message: Any,
        serde_class_name: str = ...,
        properties: dict[str, str] | None = ...,
        compression_type: Any = ...,
        callback: Any = ...,
        message_conf: dict[str, Any] | None = ...,
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class Message:
    topic: str
    payload: str | bytes
    key: str | None = None
    properties: dict[str, str] = field(default_factory=dict)


class _Confirmations:
    def __init__(self, expected: int) -> None:
        self._expected = expected
        self._results: list[Any] = []
        self._lock = threading.Lock()
        self._done = threading.Event()

    def __call__(self, result: Any, _msg_id: Any) -> None:
        with self._lock:
            self._results.append(result)
            if len(self._results) >= self._expected:
                self._done.set()

    def wait(self, timeout: float) -> list[Any]:
        self._done.wait(timeout)
        with self._lock:
            return list(self._results)


def publish_confirmed(context: Publisher, messages: Sequence[Message], timeout: float) -> None:
    """Send all messages asynchronously, then block until each is confirmed or raise."""
    if not messages:
        return
    confirmations = _Confirmations(len(messages))
    for message in messages:
        conf: dict[str, Any] = {"properties": dict(message.properties)}
        if message.key is not None:
            conf["partition_key"] = message.key
        context.publish(message.topic, message.payload, callback=confirmations, message_conf=conf)
    results = confirmations.wait(timeout)
    failed = [r for r in results if r != pulsar.Result.Ok]
    if len(results) < len(messages) or failed:
        missing = len(messages) - len(results)
        detail = f"{missing} unconfirmed after {timeout:g}s" if missing else f"results {failed}"
        raise TransientError(
            Reason.PUBLISH_FAILED, f"publish of {len(messages)} event(s): {detail}"
        )
