-- What a command answered, kept with its effect (same transaction): a redelivered RPC request or a
-- client's retry with the same Idempotency-Key gets this answer again instead of acting twice.
CREATE TABLE idempotency_keys (
    key          text NOT NULL,
    operation    text NOT NULL,        -- the RPC method: one HTTP request may call several
    fingerprint  text NOT NULL,        -- sha256 of the arguments: the same key with others is refused
    outcome      jsonb,                -- {"result": …} or {"error": [class name, message]}
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (key, operation)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
