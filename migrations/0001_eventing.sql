-- The inbox ledger: one row per (consumer, idempotency key), written in the same transaction
-- as the handler's own writes, with the outputs it produced (the outbox of that event).
CREATE SCHEMA IF NOT EXISTS eventing;

CREATE TABLE eventing.inbox (
    consumer         text        NOT NULL,
    idempotency_key  text        NOT NULL,
    event_id         text        NOT NULL,
    event_type       text        NOT NULL,
    event_source     text        NOT NULL,
    correlation_id   text,
    causation_id     text,
    payload_hash     text        NOT NULL,
    input_topic      text,
    input_message_id text,
    outputs          jsonb       NOT NULL DEFAULT '[]'::jsonb,
    duplicates       integer     NOT NULL DEFAULT 0,
    received_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    completed_at     timestamptz,
    last_duplicate_at timestamptz,
    PRIMARY KEY (consumer, idempotency_key)
);
CREATE INDEX inbox_correlation ON eventing.inbox (correlation_id);
CREATE INDEX inbox_event ON eventing.inbox (event_id);

-- Failed deliveries, counted per input message (a replayed message is a new message).
CREATE TABLE eventing.failures (
    consumer          text        NOT NULL,
    message_ref       text        NOT NULL,
    event_id          text,
    event_type        text,
    correlation_id    text,
    causation_id      text,
    attempts          integer     NOT NULL,
    first_failure_at  timestamptz NOT NULL,
    last_failure_at   timestamptz NOT NULL,
    last_reason       text        NOT NULL,
    last_error        text        NOT NULL,
    PRIMARY KEY (consumer, message_ref)
);
CREATE INDEX failures_correlation ON eventing.failures (correlation_id);

-- What went to a dead-letter topic, so a business flow can be traced end to end.
CREATE TABLE eventing.dead_letters (
    id                  bigserial   PRIMARY KEY,
    consumer            text        NOT NULL,
    event_id            text,
    event_type          text,
    correlation_id      text,
    causation_id        text,
    reason              text        NOT NULL,
    error_class         text        NOT NULL,
    error_message       text        NOT NULL,
    original_topic      text        NOT NULL,
    original_message_id text        NOT NULL,
    dead_letter_topic   text        NOT NULL,
    attempts            integer     NOT NULL,
    dead_lettered_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX dead_letters_correlation ON eventing.dead_letters (correlation_id);

-- Pulsar function state (Context.incr_counter/put_state) kept in PostgreSQL by the local host.
CREATE TABLE eventing.function_state (
    function_fqn text   NOT NULL,
    key          text   NOT NULL,
    counter      bigint,
    value        bytea,
    PRIMARY KEY (function_fqn, key)
);
