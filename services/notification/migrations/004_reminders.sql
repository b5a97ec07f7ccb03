-- One reminder per forum still to take place: it is due REMINDER_LEAD_HOURS before starts_at (the lead
-- is applied when reminders are picked, so a new lead applies to every pending one). A new date clears
-- sent_at (the new date is owed a reminder); a cancelled or held forum has no row.
CREATE TABLE reminders (
    forum_id    uuid PRIMARY KEY,
    starts_at   timestamptz NOT NULL,
    sent_at     timestamptz,
    recipients  integer NOT NULL DEFAULT 0
);
CREATE INDEX reminders_due ON reminders (starts_at) WHERE sent_at IS NULL;

-- Forums known before this table existed.
INSERT INTO reminders (forum_id, starts_at)
SELECT id, (forum->>'starts_at')::timestamptz FROM roster_forums WHERE status NOT IN ('cancelled', 'held');
