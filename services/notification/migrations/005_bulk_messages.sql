-- A message going to many people (an announcement) is rendered once per locale, with markers where each
-- recipient's name and unsubscribe link go; its delivery rows hold only the recipient and what fills the
-- markers (``fill``), and the sender fills them in right before sending.
CREATE TABLE bulk_messages (
    id          bigserial PRIMARY KEY,
    template    text NOT NULL,
    marker_key  text NOT NULL,        -- random: nothing in a forum's title can imitate a marker
    locales     jsonb NOT NULL,       -- {"fr": {"subject", "text", "html"}, "en": {...}}
    headers     jsonb,                -- extra headers, with markers
    created_at  timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE deliveries ADD COLUMN bulk_id bigint REFERENCES bulk_messages (id), ADD COLUMN fill jsonb;

-- An announcement is written to the log in batches of subscribers, in key order, each batch in its own
-- transaction with the key reached (``cursor``): a restart goes on from there, and two replicas take
-- turns (the row is locked while a batch is written).
ALTER TABLE announcements ADD COLUMN bulk_id bigint REFERENCES bulk_messages (id),
    ADD COLUMN cursor uuid NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000';
CREATE INDEX announcements_unfinished ON announcements (started_at) WHERE finished_at IS NULL;

-- The sender claims due rows in (next_attempt_at, id) order: with this index a claim reads only the rows
-- it takes, however many are waiting.
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (next_attempt_at, id) WHERE status IN ('pending', 'sending');
