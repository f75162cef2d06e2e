"""Dead-lettering done by the function itself, with the reason attached.

The released Pulsar Python runtime ignores ``deadLetterTopic``/``maxMessageRetries`` (the
worker even rejects them for Python), so without this a poison message is nacked forever.
The original payload is published unchanged; the diagnosis travels in message properties.
"""

from __future__ import annotations

from datetime import UTC, datetime

from shared.publish import Message

MAX_MESSAGE_CHARS = 1000


def dead_letter_message(
    *,
    payload: bytes,
    dead_letter_topic: str,
    reason: str,
    error: BaseException,
    consumer: str,
    original_topic: str,
    original_message_id: str,
    attempts: int,
    first_failure_at: datetime | None,
    last_failure_at: datetime | None,
    key: str | None,
    event_id: str | None,
    event_type: str | None,
) -> Message:
    """The message to put on the dead-letter topic: original bytes plus reason properties."""
    now = datetime.now(UTC)
    message = str(error)
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[: MAX_MESSAGE_CHARS - 1] + "…"
    properties = {
        "reason": reason,
        "error_class": type(error).__name__,
        "error_message": message,
        "consumer": consumer,
        "original_topic": original_topic,
        "original_message_id": original_message_id,
        "dead_letter_topic": dead_letter_topic,
        "attempts": str(attempts),
        "first_failure_time": (first_failure_at or now).isoformat(),
        "last_failure_time": (last_failure_at or now).isoformat(),
    }
    if event_id:
        properties["ce_id"] = event_id
    if event_type:
        properties["ce_type"] = event_type
    return Message(topic=dead_letter_topic, payload=payload, key=key, properties=properties)
