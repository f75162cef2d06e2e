"""CloudEvents 1.0 in structured JSON mode: the one envelope every HexaBuilders event travels in.

Parsing is strict about what CloudEvents requires (so a foreign producer learns at once what it
got wrong, as a reason code) and lenient about what it only recommends (the spec's own example
uses a non-UUID ``id``, so ``id`` is an opaque non-empty string).  Child events get
deterministic ids so that a handler that runs again emits the same ids and downstream dedupe
still holds.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shared.errors import PermanentError, Reason

SPECVERSION = "1.0"
JSON_CONTENT_TYPE = "application/json"
DEFAULT_MAX_BYTES = 1024 * 1024
# Ids of derived events live in their own uuid5 namespace, so they never collide with uuid4s.
DERIVE_NAMESPACE = uuid.UUID("6f1f3c8e-6a55-5d1b-9a53-0c2f3c9d7e10")

_REQUIRED = ("specversion", "id", "source", "type")
_CONTEXT_ATTRIBUTES = frozenset(
    (*_REQUIRED, "datacontenttype", "dataschema", "subject", "time", "data")
)
_KNOWN_EXTENSIONS = ("correlationid", "causationid")
_EXTENSION_NAME = re.compile(r"[a-z0-9]+")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")

ExtensionValue = str | int | bool


@dataclass(frozen=True, slots=True)
class CloudEvent:
    """One event. ``data`` is the decoded JSON value; typed access goes through the registry."""

    type: str
    source: str
    id: str
    data: Any
    time: datetime | None = None
    subject: str | None = None
    dataschema: str | None = None
    datacontenttype: str = JSON_CONTENT_TYPE
    correlationid: str | None = None
    causationid: str | None = None
    extensions: Mapping[str, ExtensionValue] = field(default_factory=dict)
    specversion: str = SPECVERSION

    def to_dict(self) -> dict[str, Any]:
        """The structured-mode JSON object, attributes in the spec's order, absent ones omitted."""
        out: dict[str, Any] = {
            "specversion": self.specversion,
            "type": self.type,
            "source": self.source,
            "id": self.id,
        }
        if self.time is not None:
            out["time"] = format_time(self.time)
        out["datacontenttype"] = self.datacontenttype
        for name in ("dataschema", "subject"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        out["data"] = self.data
        for name in _KNOWN_EXTENSIONS:
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        out.update(self.extensions)
        return out


def format_time(value: datetime) -> str:
    """RFC 3339 in UTC with a ``Z`` suffix, the form the spec's example uses."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def serialize(event: CloudEvent) -> bytes:
    """Compact UTF-8 JSON (no spaces, non-ASCII kept as is); NaN is refused, it is not JSON."""
    return json.dumps(
        event.to_dict(), separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def load_json(raw: bytes) -> Any:
    """Strict RFC 8259 JSON from UTF-8 bytes; every failure is a ``PermanentError``.

    Stricter than ``json.loads``: ``NaN``/``Infinity`` and numbers that overflow a float are
    refused (they would be re-emitted as invalid JSON), and so is an escaped lone surrogate
    (valid JSON text, but no UTF-8 encoder can write it back out when the event is forwarded).
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PermanentError(Reason.NOT_UTF8, f"payload is not UTF-8 ({exc.reason})") from None
    try:
        # ValueError also covers integers too long to convert; RecursionError, deep nesting.
        obj = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except (ValueError, RecursionError) as exc:
        raise PermanentError(Reason.MALFORMED_JSON, f"payload is not JSON: {exc}") from None
    if _SURROGATE_ESCAPE.search(text):
        try:
            json.dumps(obj, ensure_ascii=False).encode()
        except UnicodeEncodeError:
            raise PermanentError(
                Reason.NOT_UTF8, "payload escapes a lone UTF-16 surrogate"
            ) from None
    return obj


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON value")


def _finite_float(literal: str) -> float:
    value = float(literal)
    if math.isinf(value):
        raise ValueError(f"number {literal[:20]} is out of range")
    return value


def parse(payload: str | bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> CloudEvent:
    """Decode one structured-mode event; every failure is a ``PermanentError`` with a reason."""
    raw = payload.encode() if isinstance(payload, str) else payload
    if len(raw) > max_bytes:
        raise PermanentError(Reason.TOO_LARGE, f"event is {len(raw)} bytes, limit {max_bytes}")
    obj = load_json(raw)
    if not isinstance(obj, dict):
        kind = type(obj).__name__
        raise PermanentError(Reason.NOT_A_CLOUDEVENT, f"expected a JSON object, got {kind}")
    return from_dict(obj)


def from_dict(obj: Mapping[str, Any]) -> CloudEvent:
    """Build an event from a structured-mode JSON object, validating every attribute."""
    for name in _REQUIRED:
        value = obj.get(name)
        if not isinstance(value, str) or not value:
            raise PermanentError(
                Reason.NOT_A_CLOUDEVENT, f"attribute '{name}' is required (a non-empty string)"
            )
    if obj["specversion"] != SPECVERSION:
        raise PermanentError(
            Reason.UNSUPPORTED_SPECVERSION,
            f"specversion '{obj['specversion']}' is not supported, only '{SPECVERSION}'",
        )
    if "data_base64" in obj:
        raise PermanentError(Reason.INVALID_ATTRIBUTE, "binary data (data_base64) is not accepted")
    extensions: dict[str, ExtensionValue] = {}
    for name, value in obj.items():
        if name in _CONTEXT_ATTRIBUTES or name in _KNOWN_EXTENSIONS:
            continue
        if not _EXTENSION_NAME.fullmatch(name):
            raise PermanentError(
                Reason.INVALID_ATTRIBUTE,
                f"attribute name {name!r} breaks the CloudEvents rule (only a-z and 0-9)",
            )
        if not isinstance(value, str | int | bool) or isinstance(value, float):
            raise PermanentError(
                Reason.INVALID_ATTRIBUTE, f"extension '{name}' must be a string, integer or boolean"
            )
        extensions[name] = value
    return CloudEvent(
        specversion=SPECVERSION,
        type=obj["type"],
        source=obj["source"],
        id=obj["id"],
        data=obj.get("data"),
        time=_optional_time(obj.get("time")),
        subject=_optional_str(obj, "subject"),
        dataschema=_optional_str(obj, "dataschema"),
        datacontenttype=_optional_str(obj, "datacontenttype") or JSON_CONTENT_TYPE,
        correlationid=_optional_str(obj, "correlationid"),
        causationid=_optional_str(obj, "causationid"),
        extensions=extensions,
    )


def _optional_str(obj: Mapping[str, Any], name: str) -> str | None:
    value = obj.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise PermanentError(Reason.INVALID_ATTRIBUTE, f"attribute '{name}' must be a string")
    return value


def _optional_time(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
        if parsed is not None and parsed.tzinfo is not None:
            parsed.astimezone(UTC)  # an instant before year 1 in UTC cannot be written back
    except (ValueError, OverflowError):
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise PermanentError(
            Reason.INVALID_ATTRIBUTE, f"attribute 'time' must be an RFC 3339 timestamp: {value!r}"
        )
    return parsed


def new_event(
    type: str,
    source: str,
    data: Any,
    *,
    subject: str | None = None,
    dataschema: str | None = None,
    correlationid: str | None = None,
    causationid: str | None = None,
    id: str | None = None,
    time: datetime | None = None,
) -> CloudEvent:
    """A root event (one that starts a business flow): its own id is its correlation id."""
    event_id = id or str(uuid.uuid4())
    return CloudEvent(
        type=type,
        source=source,
        id=event_id,
        data=data,
        time=time or datetime.now(UTC),
        subject=subject,
        dataschema=dataschema,
        correlationid=correlationid or event_id,
        causationid=causationid,
    )


def derive_id(parent: CloudEvent, consumer: str, index: int) -> str:
    """uuid5 of the parent's source and id, the consumer and the output's index."""
    name = f"{parent.source}\n{parent.id}\n{consumer}\n{index}"
    return str(uuid.uuid5(DERIVE_NAMESPACE, name))


def derive(
    parent: CloudEvent,
    type: str,
    data: Any,
    index: int,
    *,
    consumer: str,
    source: str,
    subject: str | None = None,
    dataschema: str | None = None,
    time: datetime | None = None,
) -> CloudEvent:
    """A child event caused by ``parent``: deterministic id, correlation copied, causation set."""
    return CloudEvent(
        type=type,
        source=source,
        id=derive_id(parent, consumer, index),
        data=data,
        time=time or datetime.now(UTC),
        subject=subject,
        dataschema=dataschema,
        correlationid=parent.correlationid or parent.id,
        causationid=parent.id,
    )
