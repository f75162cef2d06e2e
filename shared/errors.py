"""The error taxonomy every function shares.

A handler never decides whether to ack, nack or dead-letter: it raises one of these and the base
class (``shared.handler``) maps it to the right outcome.  The reason code is stable because it
travels on dead-lettered messages and dashboards and replay filters key on it.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Stable reason codes, carried in the ``reason`` property of dead-lettered messages."""

    NOT_UTF8 = "not_utf8"
    MALFORMED_JSON = "malformed_json"
    NOT_A_CLOUDEVENT = "not_a_cloudevent"
    UNSUPPORTED_SPECVERSION = "unsupported_specversion"
    INVALID_ATTRIBUTE = "invalid_attribute"
    UNKNOWN_TYPE = "unknown_type"
    UNEXPECTED_TYPE = "unexpected_type"
    INVALID_DATA = "invalid_data"
    TOO_LARGE = "too_large"
    KEY_COLLISION = "key_collision"
    MISSING_REFERENCE = "missing_reference"
    DEPENDENCY_UNAVAILABLE = "dependency_unavailable"
    PUBLISH_FAILED = "publish_failed"
    HANDLER_ERROR = "handler_error"


class HexaError(Exception):
    """Base of both kinds: a reason code plus a one-line human message."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(f"{reason.value}: {message}")
        self.reason = reason
        self.message = message


class PermanentError(HexaError):
    """Retrying cannot help (bad input, broken contract): dead-letter the message at once."""


class TransientError(HexaError):
    """May succeed later (database down, reference data not there yet): retry, then nack."""
