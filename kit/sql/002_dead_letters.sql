-- Events a handler of this service could not handle, kept for operators (who may fix and replay them).
-- One row per message: a redelivered dead letter has the same queue and body, so it adds nothing.
CREATE TABLE dead_letters (
    id           bigserial PRIMARY KEY,
    queue        text NOT NULL,         -- the handler's queue (the dead letter came out of it)
    fingerprint  text NOT NULL,         -- sha256 of the body as received
    event_id     text,                  -- what the body says, when it says it
    event_type   text,
    source       text,
    exchange     text NOT NULL,         -- where it was published, with routing_key: how to replay it
    routing_key  text NOT NULL,
    reason       text NOT NULL,         -- invalid, delivery_limit, rejected, expired, maxlen
    errors       jsonb,                 -- per-field errors when the body did not fit the handler's schema
    attempts     integer,               -- deliveries to the handler, when known
    dead_at      timestamptz NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    content_type text,
    body         text,                  -- as received; NULL once a person it mentions was erased
    erased_at    timestamptz,
    UNIQUE (queue, fingerprint)
);
