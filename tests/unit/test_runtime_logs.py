"""JSON log lines: fields, context from ``extra=``, exceptions, e-mail masking."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from hexa.runtime.logs import configure_logging, mask_emails


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    level = root.level
    buffer = io.StringIO()
    handler = configure_logging("DEBUG", stream=buffer)
    yield buffer
    root.removeHandler(handler)
    root.setLevel(level)


def lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_one_json_object_per_line_with_the_basic_fields(stream: io.StringIO) -> None:
    logging.getLogger("hexa.test").info("processed %s -> %d output(s)", "evt-1", 2)
    logging.getLogger("other").debug("second line")
    first, second = lines(stream)
    assert first["level"] == "INFO"
    assert first["logger"] == "hexa.test"
    assert first["message"] == "processed evt-1 -> 2 output(s)"
    when = datetime.fromisoformat(first["time"])
    assert first["time"].endswith("Z") and when.utcoffset() is not None
    assert "T" in first["time"]
    assert second["level"] == "DEBUG" and second["message"] == "second line"
    assert set(first) == {"time", "level", "logger", "message"}


def test_event_context_passed_with_extra_becomes_fields(stream: io.StringIO) -> None:
    logging.getLogger("hexa.test").warning(
        "delivery failed",
        extra={
            "function": "contract-signed",
            "event_type": "com.hexabuilders.onboarding.ContractSigned",
            "event_id": "e-1",
            "correlationid": "c-1",
            "causationid": None,  # absent on a root event: no key, not null
            "instance_id": 2,
            "unrelated": "kept out",
        },
    )
    [line] = lines(stream)
    assert line["function"] == "contract-signed"
    assert line["event_type"] == "com.hexabuilders.onboarding.ContractSigned"
    assert line["event_id"] == "e-1"
    assert line["correlationid"] == "c-1"
    assert line["instance_id"] == 2
    assert "causationid" not in line and "unrelated" not in line


def test_exceptions_are_included(stream: io.StringIO) -> None:
    try:
        raise ValueError("broken partner")
    except ValueError:
        logging.getLogger("hexa.test").exception("handler failed")
    [line] = lines(stream)
    assert line["level"] == "ERROR"
    assert "Traceback" in line["exc_info"] and "ValueError: broken partner" in line["exc_info"]


def test_email_addresses_are_masked_everywhere(stream: io.StringIO) -> None:
    try:
        raise RuntimeError("bounce from ops@hexabuilders.io")
    except RuntimeError:
        logging.getLogger("hexa.test").exception(
            "welcome mail to %s failed",
            "contact@techsolutions.com",
            extra={"event_id": "for maría.lópez@correo.example.es"},
        )
    raw = stream.getvalue()
    [line] = lines(stream)
    assert line["message"] == "welcome mail to c*****@techsolutions.com failed"
    assert line["event_id"] == "for m*****@correo.example.es"
    assert "o*****@hexabuilders.io" in line["exc_info"]
    for secret in ("contact@", "ops@", "maría", "lópez"):
        assert secret not in raw


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("contact@techsolutions.com", "c*****@techsolutions.com"),
        ("a@b.co", "a*****@b.co"),
        ("to: first.last+tag@mail.example.org.", "to: f*****@mail.example.org."),
        ("x@y.com and z@w.org", "x*****@y.com and z*****@w.org"),
        ("no address @ all, user@localhost", "no address @ all, user@localhost"),
        ("c*****@techsolutions.com", "c*****@techsolutions.com"),  # idempotent
    ],
)
def test_mask_emails(text: str, masked: str) -> None:
    assert mask_emails(text) == masked


def test_reconfiguring_replaces_the_handler(stream: io.StringIO) -> None:
    again = io.StringIO()
    root = logging.getLogger()
    handler = configure_logging("warning", stream=again)
    try:
        logging.getLogger("hexa.test").warning("once")
        logging.getLogger("hexa.test").info("filtered by the new level")
        assert stream.getvalue() == ""
        assert [line["message"] for line in lines(again)] == ["once"]
    finally:
        root.removeHandler(handler)


def test_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="level"):
        configure_logging("LOUD")
