-- What organisers did, and under which token name: written in the same transaction as the change.
-- actor is NULL for a change asked on the bus directly, with no organiser named (not through the gateway).
CREATE TABLE audit_trail (
    id       bigserial PRIMARY KEY,
    at       timestamptz NOT NULL DEFAULT now(),
    actor    text,
    action   text NOT NULL,          -- what was done, e.g. forum_created, delivery_retried
    subject  text,                   -- the id of what it was done to (never an email address)
    details  jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_trail_by_actor ON audit_trail (actor, id);
