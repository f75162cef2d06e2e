"""parse(serialize(e)) == e for generated events of every type, typed data included.

The data is generated from each model's own field annotations and constraints (so a new field
or type is covered without touching this file, or fails loudly here if the builder cannot
generate it), then validated through the model so only legal data is used.
"""

from __future__ import annotations

import types
from dataclasses import dataclass, replace
from datetime import date, timedelta, timezone
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints

import annotated_types
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import AwareDatetime, BaseModel
from pydantic.fields import FieldInfo

from shared.envelope import CloudEvent, parse, serialize
from shared.events import REGISTRY, EventData, EventSpec
from shared.events.common import Currency, Email, Id, Money

# Money has max_digits=15; with two places that leaves 13 integer digits.
MONEY_LIMIT = Decimal("9999999999999.99")
# Offsets in whole minutes: what RFC 3339 (and so the wire) can express.
offsets = st.integers(-(14 * 60 - 1), 14 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m)))
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
# CloudEvents extension names (a-z, 0-9) that are not already an attribute of the spec.
RESERVED = {"specversion", "id", "source", "type", "datacontenttype", "dataschema", "subject"}
RESERVED |= {"time", "data", "correlationid", "causationid"}
extension_names = st.from_regex(r"[a-z0-9]{1,20}", fullmatch=True).filter(
    lambda name: name not in RESERVED
)
extension_values = st.text() | st.integers(-(2**31), 2**31 - 1) | st.booleans()


@dataclass(frozen=True, slots=True)
class Bounds:
    """The constraints a field declares with ``Field(...)``."""

    ge: Any = None
    le: Any = None
    min_len: int = 0
    max_len: int | None = None

    @classmethod
    def of(cls, info: FieldInfo) -> Bounds:
        found: dict[str, Any] = {}
        for item in info.metadata:
            if isinstance(item, annotated_types.Ge):
                found["ge"] = item.ge
            elif isinstance(item, annotated_types.Le):
                found["le"] = item.le
            elif isinstance(item, annotated_types.MinLen):
                found["min_len"] = item.min_length
            elif isinstance(item, annotated_types.MaxLen):
                found["max_len"] = item.max_length
        return cls(**found)


def strategy(hint: Any, bounds: Bounds = Bounds()) -> st.SearchStrategy[Any]:
    """Values of annotation ``hint`` (JSON-like, as a producer would send them)."""
    if hint == Id:
        return st.uuids().map(str)
    if hint == Email:
        return st.from_regex(r"[a-z0-9._+-]{1,30}@[a-z0-9-]{1,30}\.[a-z]{2,8}", fullmatch=True)
    if hint == Currency:
        return st.from_regex(r"[A-Z]{3}", fullmatch=True)
    if hint == Money:  # Ratio is the same type
        low = Decimal(bounds.ge) if bounds.ge is not None else -MONEY_LIMIT
        high = Decimal(bounds.le) if bounds.le is not None else MONEY_LIMIT
        return st.decimals(low, high, places=2, allow_nan=False, allow_infinity=False)
    origin, args = get_origin(hint), get_args(hint)
    if origin is Annotated:
        raise TypeError(f"no strategy for {hint}: teach this builder the new type")
    if origin in (Union, types.UnionType):
        return st.one_of(*(strategy(arg, bounds) for arg in args))
    if origin is list:
        return st.lists(strategy(args[0]), min_size=bounds.min_len, max_size=4)
    if origin is dict:
        return st.dictionaries(st.text(max_size=8), strategy(args[1]), max_size=4)
    if hint is Any:
        return json_values
    if hint is type(None):
        return st.none()
    if isinstance(hint, type) and issubclass(hint, Enum):
        return st.sampled_from([member.value for member in hint])
    if isinstance(hint, type) and issubclass(hint, BaseModel):
        return model_data(hint)
    if hint is bool:
        return st.booleans()
    if hint is int:
        return st.integers(min_value=bounds.ge, max_value=bounds.le)
    if hint is str:
        return st.text(min_size=bounds.min_len, max_size=bounds.max_len or 40)
    if hint is AwareDatetime:
        return st.datetimes(timezones=offsets).map(lambda moment: moment.isoformat())
    if hint is date:
        return st.dates().map(date.isoformat)
    raise TypeError(f"no strategy for {hint}: teach this builder the new type")


def model_data(model: type[BaseModel]) -> st.SearchStrategy[dict[str, Any]]:
    """A ``data`` object for ``model``: every required field, any of the optional ones."""
    hints = get_type_hints(model, include_extras=True)
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for name, info in model.model_fields.items():
        target = required if info.is_required() else optional
        target[name] = strategy(hints[name], Bounds.of(info))
    return st.fixed_dictionaries(required, optional=optional)


@st.composite
def events(draw: st.DrawFn, spec: EventSpec) -> tuple[EventData, CloudEvent]:
    data = spec.model.model_validate(draw(model_data(spec.model)))
    event = REGISTRY.new(data, correlationid=draw(st.none() | st.text(min_size=1)))
    extensions = draw(st.dictionaries(extension_names, extension_values, max_size=4))
    return data, replace(event, extensions=extensions)


@pytest.mark.parametrize("spec", list(REGISTRY), ids=lambda spec: spec.name)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_parse_of_serialize_is_identity(spec: EventSpec, draw: st.DataObject) -> None:
    data, event = draw.draw(events(spec))

    payload = serialize(event)

    assert parse(payload) == event
    decoded = REGISTRY.decode(payload)
    assert decoded.data == data
    assert decoded.spec is spec
