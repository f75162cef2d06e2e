"""Functions whose behaviour a test can observe: what they received, how they were built."""

from __future__ import annotations

import threading
from typing import Any

from pulsar import Function

SEEN: list[tuple[str, Any]] = []
_lock = threading.Lock()


def seen(tag: str) -> list[Any]:
    with _lock:
        return [value for t, value in SEEN if t == tag]


def _record(tag: str, value: Any) -> None:
    with _lock:
        SEEN.append((tag, value))


class Echo(Function):
    """Returns its input with a suffix (to the sink topic, if any)."""

    def process(self, input: Any, context: Any) -> Any:
        _record("echo", input)
        return f"{input}!"


class TypeProbe(Function):
    """Records what IdentitySerDe turned the payload into, and the context's quirks."""

    def process(self, input: Any, context: Any) -> None:
        _record("type", type(input).__name__)
        _record(
            "ctx",
            {
                "instance_id": context.get_instance_id(),
                "user_config_map": context.get_user_config_map(),
                "ordering_key": context.get_ordering_key(),
                "secret": context.get_secret("PROBE_SECRET"),
                "missing_secret": context.get_secret("NOT_DECLARED"),
                "topic": context.get_current_message_topic_name(),
                "key": context.get_message_key(),
                "properties": context.get_message_properties(),
            },
        )


class Fails(Function):
    """Always raises: the runtime must nack (and count a user exception)."""

    def process(self, input: Any, context: Any) -> None:
        _record("fails", (input, context.get_message_id()))
        raise ValueError(f"cannot handle {input}")


class ReturnsDict(Function):
    """Returns a dict: IdentitySerDe cannot serialise it, a system exception."""

    def process(self, input: Any, context: Any) -> Any:
        _record("dict", input)
        return {"value": input}


class ManualAck(Function):
    """MANUAL guarantee: acks only inputs that say so."""

    def process(self, input: Any, context: Any) -> None:
        _record("manual", input)
        if input == "ack-me":
            context.ack(context.get_message_id(), context.get_current_message_topic_name())


class Counter(Function):
    """Uses the state API."""

    def process(self, input: Any, context: Any) -> None:
        context.incr_counter("seen", 1)
        context.put_state("last", str(input))
        _record("counter", context.get_counter("seen"))


class BrokenInit(Function):
    """Its constructor raises: the runtime falls back to calling ``process(input)``."""

    def __init__(self) -> None:
        raise RuntimeError("no")

    def process(self, input: Any, context: Any = None) -> None:
        _record("broken", input)


class Instance(Function):
    """Records which instance got the message."""

    def process(self, input: Any, context: Any) -> None:
        _record("instance", context.get_instance_id())


class NoneSerDe:
    """An output SerDe that returns None: the runtime sends nothing and acks nothing."""

    def serialize(self, value: Any) -> None:
        return None

    def deserialize(self, data: bytes) -> Any:
        return data


class KeyOrder(Function):
    """Records (instance, payload) in arrival order, to check per-key ordering."""

    def process(self, input: Any, context: Any) -> None:
        _record("order", (context.get_instance_id(), str(input)))
