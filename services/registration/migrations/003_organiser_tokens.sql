-- Organiser tokens, stored as the sha256 of the token (32 random bytes: no slower hash is needed), never
-- the token itself. A name is unique among the tokens still in use; it is what the audit trail shows.
CREATE TABLE organiser_tokens (
    id           uuid PRIMARY KEY,
    name         text NOT NULL,
    scope        text NOT NULL CHECK (scope IN ('read', 'write')),
    digest       bytea NOT NULL UNIQUE CHECK (length(digest) = 32),
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text NOT NULL,          -- the organiser who created it, or 'cli'
    revoked_at   timestamptz,
    last_used_at timestamptz
);
CREATE UNIQUE INDEX organiser_tokens_active_name ON organiser_tokens (lower(name)) WHERE revoked_at IS NULL;
