"""Interoperability with the official ``cloudevents`` Python SDK (its 2.x ``core`` API), both ways.

Foreign producers and consumers (analytics, notifications, other teams) use the SDK, so our
structured-mode JSON must be exactly what it reads and writes.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent as SdkEvent

from shared.envelope import CloudEvent, new_event, serialize
from shared.errors import PermanentError, Reason
from shared.events import REGISTRY, PartnerRegistrationCompleted

PARTNER_ID = "550e8400-e29b-41d4-a716-446655440000"
DATA = PartnerRegistrationCompleted.model_validate(
    {
        "partner_id": PARTNER_ID,
        "business_name": "Técnicas Ñandú S.L.",
        "email": "contact@techsolutions.com",
        "partner_type": "EMPRESA",
        "registration_data": {"vat": "ES-B12345678", "employees": 12, "tags": ["b2b", None]},
        "registration_timestamp": "2025-01-15T11:30:00+01:00",
    }
)
EXTENSIONS: dict[str, str | int | bool] = {"tenant": "acme", "priority": 5, "replayed": True}


def our_event() -> CloudEvent:
    """A derived event, so every attribute we ever write is present, plus foreign extensions."""
    parent = new_event("com.example.Command", "//web/signup", {}, id="CMD-987-654-321")
    return replace(REGISTRY.derive(parent, DATA, 0, "partner-management"), extensions=EXTENSIONS)


def test_the_sdk_reads_our_event_with_every_attribute_and_extension_intact() -> None:
    ours = our_event()

    theirs = JSONFormat().read(None, serialize(ours))

    assert theirs.get_specversion() == "1.0"
    assert (
        theirs.get_type() == ours.type == "com.hexabuilders.partners.PartnerRegistrationCompleted"
    )
    assert theirs.get_source() == ours.source == f"//partners/{PARTNER_ID}"
    assert theirs.get_id() == ours.id
    assert theirs.get_time() == ours.time
    assert theirs.get_subject() == ours.subject == PARTNER_ID
    assert theirs.get_dataschema() == ours.dataschema
    assert theirs.get_datacontenttype() == "application/json"
    assert theirs.get_extension("correlationid") == ours.correlationid == "CMD-987-654-321"
    assert theirs.get_extension("causationid") == ours.causationid == "CMD-987-654-321"
    for name, value in EXTENSIONS.items():
        assert theirs.get_extension(name) == value
        assert type(theirs.get_extension(name)) is type(value)
    assert set(theirs.get_attributes()) == set(ours.to_dict()) - {"data"}
    assert theirs.get_data() == ours.data
    assert PartnerRegistrationCompleted.model_validate(theirs.get_data()) == DATA


def sdk_payload(attributes: dict[str, Any], data: Any) -> bytes:
    return JSONFormat().write(SdkEvent(attributes, data))


def test_our_parser_accepts_an_event_built_by_the_sdk() -> None:
    spec = REGISTRY.for_model(PartnerRegistrationCompleted)
    time = datetime(2025, 1, 15, 11, 30, 0, 123456, tzinfo=timezone(timedelta(hours=1)))
    attributes = {
        "type": spec.type,
        "source": f"//partners/{PARTNER_ID}",
        "id": "A234-1234-1234",
        "time": time,
        "subject": PARTNER_ID,
        "dataschema": spec.dataschema,
        "datacontenttype": "application/json",
        "correlationid": "CORR-123-456-789",
        "causationid": "CMD-987-654-321",
        **EXTENSIONS,
    }

    decoded = REGISTRY.decode(sdk_payload(attributes, DATA.model_dump(mode="json")))

    event = decoded.event
    assert (event.type, event.source, event.id) == (
        spec.type,
        attributes["source"],
        "A234-1234-1234",
    )
    assert event.time == time
    assert (event.subject, event.dataschema) == (PARTNER_ID, spec.dataschema)
    assert (event.correlationid, event.causationid) == ("CORR-123-456-789", "CMD-987-654-321")
    assert event.extensions == EXTENSIONS
    assert decoded.data == DATA


def test_our_parser_accepts_the_sdk_defaults() -> None:
    # The SDK fills in id and time (in UTC) and writes no datacontenttype.
    attributes = {"type": "PartnerRegistrationCompleted", "source": "//crm"}
    before = datetime.now(UTC)

    event = REGISTRY.decode(sdk_payload(attributes, DATA.model_dump(mode="json"))).event

    assert event.id
    assert event.time is not None and before <= event.time <= datetime.now(UTC)
    assert event.datacontenttype == "application/json"
    assert event.correlationid is None and event.extensions == {}


def test_binary_data_from_the_sdk_is_refused_with_a_reason() -> None:
    payload = sdk_payload({"type": "PartnerRegistrationCompleted", "source": "//crm"}, b"\x00\x01")
    assert b'"data_base64"' in payload

    with pytest.raises(PermanentError) as info:
        REGISTRY.decode(payload)

    assert info.value.reason is Reason.INVALID_ATTRIBUTE
    assert "data_base64" in info.value.message
