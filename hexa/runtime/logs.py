"""Structured JSON logs for the local host, one object per line.

One object per line so that `hexa up` output can be piped into `jq` or shipped to a log store
without a parser per message format; the event fields the handler base class passes with
``extra=`` (``shared.handler._log_fields``) become top-level keys so a whole business flow can
be followed by its ``correlationid``. Partner contact addresses travel in event data and end
up in error messages, so every e-mail address is masked before a line leaves the process.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import IO, Any

# The keys that `extra=` may put on a record and that are worth a top-level field; anything
# else a caller passes stays out, so a stray `extra` cannot leak arbitrary objects.
CONTEXT_FIELDS = (
    "function",
    "event_type",
    "event_id",
    "correlationid",
    "causationid",
    "instance_id",
)

# Unicode \w so that a non-ASCII local part is masked whole instead of from its last ASCII run.
_EMAIL = re.compile(
    r"(?P<first>[\w.%+-])[\w.%+-]*@(?P<domain>[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,})",
)
# A fixed number of stars, so the mask does not reveal the length of the local part.
_MASK = "*****"


def mask_emails(text: str) -> str:
    """Keep the first character and the domain: enough to tell addresses apart when debugging.

    Idempotent: the stars are not address characters, so masked text is left as it is.
    """
    return _EMAIL.sub(lambda m: f"{m['first']}{_MASK}@{m['domain']}", text)


def _masked(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    return mask_emails(value if isinstance(value, str) else str(value))


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object; see the module docstring for the fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in CONTEXT_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc_info"] = record.exc_text
        # ensure_ascii=False: escaping would split a non-ASCII address before it is masked.
        return json.dumps({key: _masked(value) for key, value in entry.items()}, ensure_ascii=False)


class _JsonHandler(logging.StreamHandler[IO[str]]):
    """Marks the handler this module installed, so a second call replaces it."""


def configure_logging(level: str = "INFO", stream: IO[str] | None = None) -> logging.Handler:
    """Send every log record of the process through the JSON formatter.

    Replaces a handler installed by an earlier call (so the host can reconfigure without
    duplicate lines) but leaves other handlers alone, e.g. pytest's capture. Returns the
    handler so a caller can remove it again.
    """
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(f"unknown log level {level!r}")
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _JsonHandler)]:
        root.removeHandler(handler)
    handler = _JsonHandler(sys.stderr if stream is None else stream)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(numeric)
    return handler
