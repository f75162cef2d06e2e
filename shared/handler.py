"""The base class every HexaBuilders function extends: decode, dedupe, handle, publish.

A subclass names the event it consumes and implements one typed method that writes its own
context's tables and returns the events it wants published.  Everything else (parsing,
validation, the inbox transaction, deterministic output ids, correlation and causation,
retries with backoff, counting failed deliveries, dead-lettering with a reason, waiting for
publish confirmations) happens here, the same way for every function, on a real Pulsar worker
and on the local host alike.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import partial
from typing import Any, ClassVar, Generic, TypeVar

import pulsar
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from shared.db import Database, Tx
from shared.dead_letter import dead_letter_message
from shared.envelope import CloudEvent, serialize
from shared.errors import HexaError, PermanentError, Reason, TransientError
from shared.events.common import EventData
from shared.events.registry import REGISTRY, Decoded, Registry
from shared.inbox import Failure, Inbox, MessageRef, Output
from shared.publish import Message, publish_confirmed
from shared.settings import Settings

DataT = TypeVar("DataT", bound=EventData)
DATABASE_URL_SECRET = "DATABASE_URL"


class Handler(pulsar.Function, Generic[DataT]):  # type: ignore[misc]
    """Subclass with ``consumes = <EventData model>`` and implement ``handle``."""

    consumes: ClassVar[type[EventData]]
    registry: ClassVar[Registry] = REGISTRY

    def __init__(self) -> None:
        # The runtime builds the class with no arguments; everything that needs the context
        # (settings, the database secret) is set up on the first message and then reused.
        self._settings: Settings | None = None
        self._retry: Retrying = Retrying()
        self._context: Any = None
        self._inbox: Inbox | None = None
        self.config: dict[str, Any] = {}
        """The function's user config, for handlers that need their own settings."""

    def handle(self, event: CloudEvent, data: DataT, tx: Tx) -> Sequence[EventData]:
        """Domain logic: write through ``tx``, return the events to publish (or none)."""
        raise NotImplementedError

    # -- the runtime's entry point ---------------------------------------------------------

    def process(self, input: Any, context: Any) -> None:
        """Called by the Pulsar runtime for each message; returns ``None`` (nothing to sink)."""
        settings, inbox = self._setup(context)
        self._context = context
        payload = _payload_bytes(input)
        ref = MessageRef(context.get_current_message_topic_name(), str(context.get_message_id()))
        decoded: Decoded | None = None
        started = time.perf_counter()
        try:
            decoded = self._decode(payload, settings)
            outcome = self._retry(inbox.run, decoded, partial(self._outputs, decoded), ref)
        except PermanentError as exc:
            self._dead_letter(context, settings, inbox, payload, ref, decoded, exc, None)
            return None
        except Exception as exc:
            reason = exc.reason if isinstance(exc, HexaError) else Reason.HANDLER_ERROR
            # If the database is what failed, this raises too and the delivery is simply
            # nacked: an outage never pushes events to the dead-letter topic.
            failure = inbox.record_failure(ref, decoded, reason, f"{type(exc).__name__}: {exc}")
            context.get_logger().warning(
                "delivery %d/%d of %s failed: %s",
                failure.attempts,
                settings.max_retries,
                ref,
                exc,
                extra=_log_fields(decoded, self._consumer(context)),
            )
            if failure.attempts >= settings.max_retries:
                self._dead_letter(context, settings, inbox, payload, ref, decoded, exc, failure)
                return None
            raise
        # Published after commit and before returning: the runtime acks on return.
        publish_confirmed(
            context,
            [Message(o.topic, o.payload, o.key, _output_properties(o)) for o in outcome.outputs],
            settings.publish_timeout_s,
        )
        context.record_metric("hexa_handle_ms", (time.perf_counter() - started) * 1000)
        if outcome.duplicate:
            context.record_metric("hexa_dedupe_hit", 1)
        context.get_logger().info(
            "%s %s -> %d output(s)",
            "duplicate" if outcome.duplicate else "processed",
            decoded.event.id,
            len(outcome.outputs),
            extra=_log_fields(decoded, self._consumer(context)),
        )
        return None

    # -- steps -------------------------------------------------------------------------------

    def _setup(self, context: Any) -> tuple[Settings, Inbox]:
        if self._settings is None or self._inbox is None:
            url = context.get_secret(DATABASE_URL_SECRET)
            if not url:
                raise RuntimeError(f"secret {DATABASE_URL_SECRET} is not configured")
            self._settings = Settings.from_context(context)
            # get_user_config_map() is [] (not {}) on the real runtime when there is none.
            self.config = dict(context.get_user_config_map() or {})
            self._inbox = self._open_inbox(url, self._consumer(context))
            # One instance runs on one thread with one context: the policy is built once.
            self._retry = self._retrying(self._settings)
        return self._settings, self._inbox

    def _open_inbox(self, database_url: str, consumer: str) -> Inbox:
        """The ledger this instance uses; connections open lazily, on the first event."""
        return Inbox(Database(database_url, application_name=consumer), consumer)

    @staticmethod
    def _consumer(context: Any) -> str:
        return str(context.get_function_name())

    def _decode(self, payload: bytes, settings: Settings) -> Decoded:
        decoded = self.registry.decode(payload, settings.max_event_bytes)
        if decoded.spec.model is not self.consumes:
            raise PermanentError(
                Reason.UNEXPECTED_TYPE,
                f"{type(self).__name__} consumes {self.registry.for_model(self.consumes).type},"
                f" not {decoded.spec.type}",
            )
        return decoded

    def _outputs(self, decoded: Decoded, tx: Tx) -> list[Output]:
        assert self._inbox is not None  # set up before the first event reaches here
        consumer = self._inbox.consumer
        results = self.handle(decoded.event, decoded.data, tx)  # type: ignore[arg-type]
        outputs = []
        for index, data in enumerate(results):
            event = self.registry.derive(decoded.event, data, index, consumer)
            spec = self.registry.for_model(type(data))
            outputs.append(
                Output(
                    topic=spec.topic,
                    key=str(getattr(data, "partner_id", None) or event.subject),
                    event_id=event.id,
                    event_type=event.type,
                    payload=serialize(event).decode(),
                )
            )
        return outputs

    def _retrying(self, settings: Settings) -> Retrying:
        def before_sleep(state: RetryCallState) -> None:
            self._context.record_metric("hexa_retry", 1)

        return Retrying(
            retry=retry_if_exception_type(TransientError),
            stop=stop_after_attempt(settings.retry_attempts),
            wait=wait_exponential(
                multiplier=settings.retry_multiplier,
                min=settings.retry_wait_min_s,
                max=settings.retry_wait_max_s,
            )
            + wait_random(0, settings.retry_jitter_s),
            before_sleep=before_sleep,
            reraise=True,
        )

    def _dead_letter(
        self,
        context: Any,
        settings: Settings,
        inbox: Inbox,
        payload: bytes,
        ref: MessageRef,
        decoded: Decoded | None,
        error: Exception,
        failure: Failure | None,
    ) -> None:
        reason = error.reason if isinstance(error, HexaError) else Reason.HANDLER_ERROR
        message = dead_letter_message(
            payload=payload,
            dead_letter_topic=settings.dead_letter_topic,
            reason=reason,
            error=error,
            consumer=inbox.consumer,
            original_topic=ref.topic,
            original_message_id=ref.message_id,
            attempts=failure.attempts if failure else 1,
            first_failure_at=failure.first_failure_at if failure else None,
            last_failure_at=failure.last_failure_at if failure else None,
            key=context.get_message_key() or None,
            event_id=decoded.event.id if decoded else None,
            event_type=decoded.event.type if decoded else None,
        )
        # Confirmed before returning: only then may the runtime ack the original.
        publish_confirmed(context, [message], settings.publish_timeout_s)
        context.record_metric(f"hexa_dead_letter_{reason}", 1)
        context.get_logger().error(
            "dead-lettered %s to %s: %s",
            ref,
            settings.dead_letter_topic,
            error,
            extra=_log_fields(decoded, inbox.consumer),
        )
        try:
            inbox.record_dead_letter(decoded, message.properties)
        except TransientError as exc:
            # The message itself is safe on the dead-letter topic; only the trace misses it.
            context.get_logger().warning("could not record dead letter in the ledger: %s", exc)


def _payload_bytes(value: Any) -> bytes:
    """Undo the default ``IdentitySerDe``: text arrives as ``str``, numbers as numbers."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    return str(value).encode()


def _output_properties(output: Output) -> dict[str, str]:
    return {"ce_id": output.event_id, "ce_type": output.event_type}


def _log_fields(decoded: Decoded | None, consumer: str) -> dict[str, Any]:
    event = decoded.event if decoded else None
    return {
        "function": consumer,
        "event_type": event.type if event else None,
        "event_id": event.id if event else None,
        "correlationid": event.correlationid if event else None,
        "causationid": event.causationid if event else None,
    }
