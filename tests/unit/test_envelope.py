"""The envelope: what it accepts, what it refuses and with which reason code, what it writes.

Every refusal must be a ``PermanentError`` (so the handler dead-letters it at once with a
stable reason), never another exception that would be retried until the budget runs out.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.envelope import (
    DEFAULT_MAX_BYTES,
    CloudEvent,
    derive,
    derive_id,
    new_event,
    parse,
    serialize,
)
from shared.errors import PermanentError, Reason
from shared.events import REGISTRY
from shared.events.common import PartnerType, ValidationStatus
from tests.spec_example import SPEC_EXAMPLE

REMOVE = object()


def envelope(fields: dict[str, Any] | None = None, /, **attributes: Any) -> dict[str, Any]:
    """The spec's example with some data fields or attributes changed (``REMOVE`` drops one)."""
    obj: dict[str, Any] = json.loads(SPEC_EXAMPLE)
    obj["data"].update(fields or {})
    for name, value in attributes.items():
        if value is REMOVE:
            del obj[name]
        else:
            obj[name] = value
    return obj


def encoded(obj: Any) -> bytes:
    return json.dumps(obj).encode()


def refusal(payload: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> PermanentError:
    with pytest.raises(PermanentError) as info:
        REGISTRY.decode(payload, max_bytes)
    return info.value


def test_the_spec_example_validates_as_is() -> None:
    decoded = REGISTRY.decode(SPEC_EXAMPLE.encode())

    event = decoded.event
    assert event.id == "A234-1234-1234"
    assert event.source == "//partners/550e8400-e29b-41d4-a716-446655440000"
    assert event.subject == "550e8400-e29b-41d4-a716-446655440000"
    assert event.time == datetime(2025, 1, 15, 10, 30, tzinfo=UTC)
    assert (event.correlationid, event.causationid) == ("CORR-123-456-789", "CMD-987-654-321")
    assert event.extensions == {}
    assert decoded.spec.name == "PartnerRegistrationCompleted"
    data = decoded.data
    assert data.partner_type is PartnerType.EMPRESA  # type: ignore[attr-defined]
    # The four fields the example leaves out take the defaults of a fresh web sign-up.
    assert data.validation_status is ValidationStatus.PENDING  # type: ignore[attr-defined]


BAD_INPUT = [
    pytest.param(b'{"id": "\xff\xfe"}', Reason.NOT_UTF8, "UTF-8", id="non-utf8"),
    pytest.param(b'{"specversion": "1.0",', Reason.MALFORMED_JSON, "not JSON", id="truncated"),
    pytest.param(b"", Reason.MALFORMED_JSON, "not JSON", id="empty"),
    pytest.param(b'{"n": NaN}', Reason.MALFORMED_JSON, "NaN", id="nan-literal"),
    pytest.param(b'{"n": 1e999}', Reason.MALFORMED_JSON, "out of range", id="float-overflow"),
    pytest.param(b'{"n": ' + b"9" * 5000 + b"}", Reason.MALFORMED_JSON, "", id="huge-integer"),
    pytest.param(b"[" * 100_000 + b"]" * 100_000, Reason.MALFORMED_JSON, "", id="deep-nesting"),
    pytest.param(
        encoded(envelope({"registration_data": {"note": "\ud800"}})),
        Reason.NOT_UTF8,
        "surrogate",
        id="lone-surrogate-escape",
    ),
    pytest.param(b"[]", Reason.NOT_A_CLOUDEVENT, "got list", id="array"),
    pytest.param(b'"event"', Reason.NOT_A_CLOUDEVENT, "got str", id="string"),
    pytest.param(b"42", Reason.NOT_A_CLOUDEVENT, "got int", id="number"),
    pytest.param(b"null", Reason.NOT_A_CLOUDEVENT, "got NoneType", id="null"),
    *(
        pytest.param(encoded(envelope(**{name: REMOVE})), Reason.NOT_A_CLOUDEVENT, name, id=name)
        for name in ("id", "source", "type", "specversion")
    ),
    pytest.param(encoded(envelope(id="")), Reason.NOT_A_CLOUDEVENT, "'id'", id="empty-id"),
    pytest.param(encoded(envelope(source=7)), Reason.NOT_A_CLOUDEVENT, "'source'", id="int-source"),
    pytest.param(
        encoded(envelope(specversion="0.3")), Reason.UNSUPPORTED_SPECVERSION, "0.3", id="v0.3"
    ),
    pytest.param(encoded(envelope(specversion=1.0)), Reason.NOT_A_CLOUDEVENT, "", id="v-number"),
    *(
        pytest.param(
            encoded(envelope(**{name: "x"})),
            Reason.INVALID_ATTRIBUTE,
            repr(name),
            id=f"ext-{name!r}",
        )
        for name in ("tenantId", "tenant_id", "tenant-id", "tenánt", "tenant\n", "")
    ),
    pytest.param(encoded(envelope(tenant=1.5)), Reason.INVALID_ATTRIBUTE, "tenant", id="ext-float"),
    pytest.param(encoded(envelope(tenant={})), Reason.INVALID_ATTRIBUTE, "tenant", id="ext-object"),
    pytest.param(encoded(envelope(time="yesterday")), Reason.INVALID_ATTRIBUTE, "time", id="time"),
    pytest.param(
        encoded(envelope(time="2025-01-15T10:30:00")), Reason.INVALID_ATTRIBUTE, "time", id="naive"
    ),
    pytest.param(
        encoded(envelope(time="0001-01-01T00:30:00+01:00")),
        Reason.INVALID_ATTRIBUTE,
        "time",
        id="time-before-year-1-in-utc",
    ),
    pytest.param(encoded(envelope(subject=3)), Reason.INVALID_ATTRIBUTE, "subject", id="subject"),
    pytest.param(
        encoded(envelope(data=REMOVE, data_base64="eyJ9")),
        Reason.INVALID_ATTRIBUTE,
        "data_base64",
        id="binary-data",
    ),
    pytest.param(
        encoded(envelope(type="com.hexabuilders.partners.PartnerDeleted")),
        Reason.UNKNOWN_TYPE,
        "PartnerDeleted",
        id="unknown-type",
    ),
    pytest.param(
        encoded(envelope(dataschema="urn:hexabuilders:schema:PartnerRegistrationCompleted:v9")),
        Reason.UNKNOWN_TYPE,
        "v9",
        id="future-version",
    ),
    pytest.param(
        encoded(envelope(dataschema="urn:hexabuilders:schema:BudgetAlert:v1")),
        Reason.UNKNOWN_TYPE,
        "BudgetAlert",
        id="other-event-schema",
    ),
    pytest.param(
        encoded(
            envelope(
                dataschema="urn:hexabuilders:schema:PartnerRegistrationCompleted:v" + "9" * 5000
            )
        ),
        Reason.UNKNOWN_TYPE,
        "not a known version",
        id="absurd-version",
    ),
    pytest.param(encoded(envelope(data=REMOVE)), Reason.INVALID_DATA, "JSON object", id="no-data"),
    pytest.param(encoded(envelope(data=[1])), Reason.INVALID_DATA, "JSON object", id="data-list"),
    pytest.param(
        encoded({**envelope(), "data": {"partner_id": "550e8400-e29b-41d4-a716-446655440000"}}),
        Reason.INVALID_DATA,
        "field 'business_name': Field required (+2 more)",
        id="missing-fields",
    ),
    pytest.param(
        encoded(envelope({"business_name": 42})),
        Reason.INVALID_DATA,
        "field 'business_name'",
        id="wrong-type",
    ),
    pytest.param(
        encoded(envelope({"partner_id": "not-a-uuid"})),
        Reason.INVALID_DATA,
        "field 'partner_id'",
        id="bad-id",
    ),
    pytest.param(
        encoded(envelope({"partner_type": "COOPERATIVA"})),
        Reason.INVALID_DATA,
        "field 'partner_type'",
        id="unknown-enum-value",
    ),
]


@pytest.mark.parametrize(("payload", "reason", "fragment"), BAD_INPUT)
def test_bad_input_is_a_permanent_error_with_its_reason(
    payload: bytes, reason: Reason, fragment: str
) -> None:
    error = refusal(payload)

    assert error.reason is reason
    assert fragment in error.message
    assert "\n" not in error.message
    assert str(error) == f"{reason.value}: {error.message}"


def test_payload_limit_defaults_to_one_mebibyte_and_is_configurable() -> None:
    filler = "x" * DEFAULT_MAX_BYTES
    big = encoded(envelope({"registration_data": {"notes": filler}}))
    assert DEFAULT_MAX_BYTES == 1024 * 1024

    error = refusal(big)
    assert error.reason is Reason.TOO_LARGE
    assert f"{len(big)} bytes, limit {DEFAULT_MAX_BYTES}" in error.message
    assert REGISTRY.decode(big, max_bytes=len(big)).event.id == "A234-1234-1234"

    small = SPEC_EXAMPLE.encode()
    assert refusal(small, max_bytes=len(small) - 1).reason is Reason.TOO_LARGE
    assert REGISTRY.decode(small, max_bytes=len(small)).event.id == "A234-1234-1234"


def test_parse_takes_text_as_well_as_bytes() -> None:
    assert parse(SPEC_EXAMPLE) == parse(SPEC_EXAMPLE.encode())


# Any JSON value, to drop into any attribute or data field of a valid envelope.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)
attribute_names = st.sampled_from(list(envelope())) | st.text(max_size=12)
data_names = st.sampled_from([*envelope()["data"], "registration_data", "extra"])


@given(st.dictionaries(attribute_names, json_values), st.dictionaries(data_names, json_values))
def test_any_mutation_of_a_valid_envelope_is_refused_with_a_reason_or_can_be_forwarded(
    attributes: dict[str, Any], fields: dict[str, Any]
) -> None:
    payload = json.dumps(envelope(fields, **attributes)).encode()
    try:
        event = REGISTRY.decode(payload).event
    except PermanentError:
        return
    assert parse(serialize(event)) == event


@given(st.binary(max_size=200))
def test_any_bytes_are_accepted_or_refused_with_a_reason(payload: bytes) -> None:
    with pytest.raises(PermanentError):
        REGISTRY.decode(payload)


def test_serialize_writes_compact_utf8_with_the_spec_attribute_names() -> None:
    event = parse(SPEC_EXAMPLE)
    event = replace(event, data={**event.data, "business_name": "Ñandú"}, extensions={"tier": 2})

    raw = serialize(event)

    assert b'": ' not in raw and b", " not in raw
    assert "Ñandú".encode() in raw
    obj = json.loads(raw)
    assert obj == {**json.loads(SPEC_EXAMPLE), "data": event.data, "tier": 2}
    assert list(obj)[:4] == ["specversion", "type", "source", "id"]
    assert obj["time"] == "2025-01-15T10:30:00Z"


def test_serialize_writes_time_in_utc_whatever_the_offset() -> None:
    madrid = datetime(2025, 1, 15, 11, 30, tzinfo=timezone(timedelta(hours=1)))
    event = replace(parse(SPEC_EXAMPLE), time=madrid)

    assert json.loads(serialize(event))["time"] == "2025-01-15T10:30:00Z"


def test_serialize_refuses_what_is_not_json_rather_than_writing_it() -> None:
    event = replace(parse(SPEC_EXAMPLE), data={"ratio": float("nan")})

    with pytest.raises(ValueError, match="JSON"):
        serialize(event)


def test_a_root_event_is_its_own_correlation() -> None:
    event = new_event("t", "//partners/1", {})

    assert event.correlationid == event.id
    assert event.causationid is None
    assert event.time is not None and event.time.tzinfo is not None
    assert new_event("t", "//partners/1", {}, correlationid="flow-1").correlationid == "flow-1"


def test_derived_events_have_deterministic_ids_and_carry_the_flow() -> None:
    parent = parse(SPEC_EXAMPLE)

    def child(index: int, consumer: str = "onboarding") -> CloudEvent:
        return derive(parent, "t", {}, index, consumer=consumer, source="//onboarding/1")

    assert child(0).id == child(0).id == derive_id(parent, "onboarding", 0)
    assert len({child(0).id, child(1).id, child(0, "recruitment").id}) == 3
    assert child(0).correlationid == "CORR-123-456-789"
    assert child(0).causationid == "A234-1234-1234"
    uncorrelated = replace(parent, correlationid=None)
    assert derive(uncorrelated, "t", {}, 0, consumer="c", source="s").correlationid == parent.id
