-- Platform tables every service carries in its own database.

-- Events waiting to be published; written in the same transaction as the state change.
CREATE TABLE mile_outbox (
    id           bigserial PRIMARY KEY,
    event_id     uuid        NOT NULL UNIQUE,
    topic        text        NOT NULL,
    key          text        NOT NULL,
    headers      jsonb       NOT NULL,   -- CloudEvents binary-mode headers + traceparent
    payload      bytea       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX mile_outbox_pending ON mile_outbox (id) WHERE published_at IS NULL;

-- Events already applied by a consumer: a duplicate claim means "already processed".
CREATE TABLE mile_inbox (
    consumer    text        NOT NULL,
    event_id    uuid        NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

-- First response to each Idempotency-Key, replayed on repeats.
CREATE TABLE mile_idempotency (
    scope       text        NOT NULL,
    key         text        NOT NULL,
    fingerprint text        NOT NULL,
    status      integer     NOT NULL,
    body        jsonb       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);
