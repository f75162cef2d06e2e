"""The base class's contract, with a fake Context and an in-memory ledger (no broker, no DB)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pulsar
import pytest

from hexa.samples import sample
from shared.db import Tx
from shared.envelope import CloudEvent, derive_id, parse, serialize
from shared.errors import PermanentError, Reason, TransientError
from shared.events import REGISTRY, ContractSigned, EventData, PartnerMetricsSnapshot
from shared.handler import Handler
from shared.publish import publish_confirmed
from tests.fakes import context_for, envelope, make_handler, wire

SIGNED = REGISTRY.for_model(ContractSigned)
SNAPSHOTS = REGISTRY.for_model(PartnerMetricsSnapshot).topic
DLQ = "persistent://hexabuilders/test/dead-letters"


class EmitsTwo(Handler[ContractSigned]):
    """A handler that emits two events, and can be told to fail."""

    consumes = ContractSigned
    calls = 0
    fail_with: Exception | None = None

    def handle(self, event: CloudEvent, data: ContractSigned, tx: Tx) -> Sequence[EventData]:
        type(self).calls += 1
        if self.fail_with is not None:
            raise self.fail_with
        return [sample("PartnerMetricsSnapshot", i, partner_id=data.partner_id) for i in range(2)]


@pytest.fixture(autouse=True)
def _reset() -> None:
    EmitsTwo.calls = 0
    EmitsTwo.fail_with = None


def test_outputs_are_published_with_derived_ids_correlation_and_causation() -> None:
    handler, _ = make_handler(EmitsTwo)
    ctx = context_for(SIGNED.topic)
    event = envelope(sample("ContractSigned", 1), correlationid="CORR-1")

    assert handler.process(wire(event), ctx) is None

    outs = [parse(p) for p in ctx.topic_payloads(SNAPSHOTS)]
    assert [o.id for o in outs] == [derive_id(event, "fn-under-test", i) for i in range(2)]
    assert {o.correlationid for o in outs} == {"CORR-1"}
    assert {o.causationid for o in outs} == {event.id}
    assert all(p.key == event.data["partner_id"] for p in ctx.published)
    assert ctx.published[0].properties["ce_type"] == outs[0].type
    assert "hexa_handle_ms" in ctx.metrics


def test_a_duplicate_republishes_the_stored_outputs_without_running_the_handler() -> None:
    handler, memory = make_handler(EmitsTwo)
    event = envelope(sample("ContractSigned", 2))
    first, second = context_for(SIGNED.topic), context_for(SIGNED.topic)

    handler.process(wire(event), first)
    handler.process(wire(event), second)

    assert memory.handler_runs == 1 and EmitsTwo.calls == 1
    assert [p.payload for p in second.published] == [p.payload for p in first.published]
    assert second.metrics["hexa_dedupe_hit"] == [1]


def test_malformed_payload_goes_to_the_dead_letter_topic_at_once() -> None:
    handler, memory = make_handler(EmitsTwo)
    ctx = context_for(SIGNED.topic)

    assert handler.process("{not json", ctx) is None

    [dead] = ctx.published
    assert dead.topic == DLQ and dead.payload == b"{not json"
    props = dead.properties
    assert props["reason"] == Reason.MALFORMED_JSON
    assert props["error_class"] == "PermanentError"
    assert props["consumer"] == "fn-under-test"
    assert props["original_topic"] == SIGNED.topic
    assert props["original_message_id"] == ctx.message_id
    assert props["attempts"] == "1"
    assert props["first_failure_time"] and props["last_failure_time"]
    assert memory.dead_letters and EmitsTwo.calls == 0


def test_binary_payload_is_dead_lettered_byte_for_byte() -> None:
    handler, _ = make_handler(EmitsTwo)
    ctx = context_for(SIGNED.topic)
    handler.process(b"\xff\xfe\x00", ctx)
    assert ctx.published[0].payload == b"\xff\xfe\x00"
    assert ctx.published[0].properties["reason"] == Reason.NOT_UTF8


def test_an_event_of_another_type_is_refused() -> None:
    handler, _ = make_handler(EmitsTwo)
    ctx = context_for(SIGNED.topic)
    handler.process(wire(envelope(sample("BudgetAlert", 1))), ctx)
    assert ctx.published[0].properties["reason"] == Reason.UNEXPECTED_TYPE


def test_transient_errors_are_retried_in_process_then_nacked_until_max_retries() -> None:
    handler, memory = make_handler(EmitsTwo)
    EmitsTwo.fail_with = TransientError(Reason.MISSING_REFERENCE, "template missing")
    event = wire(envelope(sample("ContractSigned", 3)))
    contexts = [context_for(SIGNED.topic) for _ in range(3)]

    for ctx in contexts[:2]:  # deliveries 1 and 2: raise, so the runtime nacks
        with pytest.raises(TransientError):
            handler.process(event, ctx)
        assert ctx.published == []
    assert handler.process(event, contexts[2]) is None  # delivery 3 = max_retries: DLQ + ack

    assert EmitsTwo.calls == 3 * 2  # retry_attempts=2 per delivery
    [dead] = contexts[2].published
    assert dead.properties["reason"] == Reason.MISSING_REFERENCE
    assert dead.properties["attempts"] == "3"
    assert dead.properties["error_class"] == "TransientError"
    assert contexts[0].metrics["hexa_retry"] == [1]
    assert memory.records == {}


def test_unexpected_exceptions_count_as_failed_deliveries_without_in_process_retry() -> None:
    handler, _ = make_handler(EmitsTwo)
    EmitsTwo.fail_with = KeyError("boom")
    event = wire(envelope(sample("ContractSigned", 4)))
    with pytest.raises(KeyError):
        handler.process(event, context_for(SIGNED.topic))
    assert EmitsTwo.calls == 1
    with pytest.raises(KeyError):
        handler.process(event, context_for(SIGNED.topic))
    last = context_for(SIGNED.topic)
    handler.process(event, last)
    assert last.published[0].properties["reason"] == Reason.HANDLER_ERROR


def test_a_permanent_error_from_the_handler_is_dead_lettered_at_once() -> None:
    handler, _ = make_handler(EmitsTwo)
    EmitsTwo.fail_with = PermanentError(Reason.INVALID_DATA, "contract for unknown partner")
    ctx = context_for(SIGNED.topic)
    assert handler.process(wire(envelope(sample("ContractSigned", 5))), ctx) is None
    assert EmitsTwo.calls == 1
    assert ctx.published[0].properties["reason"] == Reason.INVALID_DATA


def test_same_key_different_payload_is_a_key_collision() -> None:
    handler, _ = make_handler(EmitsTwo)
    original = sample("ContractSigned", 6)
    tampered = original.model_copy(update={"signatory_name": "Someone Else"})
    handler.process(wire(envelope(original)), context_for(SIGNED.topic))
    ctx = context_for(SIGNED.topic)
    handler.process(wire(envelope(tampered)), ctx)
    assert ctx.published[0].properties["reason"] == Reason.KEY_COLLISION
    assert EmitsTwo.calls == 1


def test_unconfirmed_publish_nacks_and_the_redelivery_publishes_the_same_ids() -> None:
    handler, memory = make_handler(EmitsTwo)
    event = wire(envelope(sample("ContractSigned", 7)))
    lost = context_for(SIGNED.topic, publish_timeout_s=0.05)
    lost.confirm_publishes = False

    with pytest.raises(TransientError, match="unconfirmed"):
        handler.process(event, lost)
    again = context_for(SIGNED.topic)
    handler.process(event, again)

    assert memory.handler_runs == 1
    ids = [parse(p).id for p in again.topic_payloads(SNAPSHOTS)]
    assert ids == [derive_id(parse(event), "fn-under-test", i) for i in range(2)]


def test_failed_publish_result_raises_instead_of_acking() -> None:
    ctx = context_for(SIGNED.topic)
    ctx.publish_result = pulsar.Result.Timeout
    with pytest.raises(TransientError, match="publish"):
        publish_confirmed(ctx, [_message()], timeout=1)


def test_dead_letter_not_confirmed_means_no_ack() -> None:
    handler, _ = make_handler(EmitsTwo)
    ctx = context_for(SIGNED.topic, publish_timeout_s=0.05)
    ctx.confirm_publishes = False
    with pytest.raises(TransientError):
        handler.process("not json", ctx)


def test_user_config_numbers_may_arrive_as_floats_and_an_empty_map_as_list() -> None:
    handler, _ = make_handler(EmitsTwo)
    ctx = context_for(SIGNED.topic, max_retries=1.0)
    EmitsTwo.fail_with = TransientError(Reason.DEPENDENCY_UNAVAILABLE, "down")
    assert handler.process(wire(envelope(sample("ContractSigned", 8))), ctx) is None
    assert ctx.published[0].properties["attempts"] == "1"
    assert handler.config["max_retries"] == 1.0


def test_missing_database_secret_is_a_clear_error() -> None:
    handler = EmitsTwo()
    ctx = context_for(SIGNED.topic)
    ctx.secrets = {}
    with pytest.raises(RuntimeError, match="DATABASE_URL"):
        handler.process(wire(envelope(sample("ContractSigned", 9))), ctx)


def test_numbers_from_identity_serde_are_not_cloudevents() -> None:
    handler, _ = make_handler(EmitsTwo)
    ctx = context_for(SIGNED.topic)
    handler.process(42, ctx)  # IdentitySerDe turns the payload b"42" into the int 42
    assert ctx.published[0].payload == b"42"
    assert ctx.published[0].properties["reason"] == Reason.NOT_A_CLOUDEVENT


def _message() -> Any:
    from shared.publish import Message

    return Message("persistent://hexabuilders/test/out", json.dumps({"a": 1}))


def test_serialized_output_is_what_was_stored() -> None:
    handler, memory = make_handler(EmitsTwo)
    ctx = context_for(SIGNED.topic)
    handler.process(wire(envelope(sample("ContractSigned", 10))), ctx)
    [(_, outputs)] = memory.records.values()
    assert [o.payload.encode() for o in outputs] == [p.payload for p in ctx.published]
    assert serialize(parse(outputs[0].payload)) == outputs[0].payload.encode()
