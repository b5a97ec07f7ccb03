-- Confirmed subscribers, as told by subscription_confirmed / subscription_ended. An ended subscription
-- stays ended (a person who subscribes again gets a new subscription id).
CREATE TABLE subscribers (
    subscription_id uuid PRIMARY KEY,
    person_id       uuid NOT NULL,
    email           text NOT NULL,
    first_name      text NOT NULL DEFAULT '',
    last_name       text NOT NULL DEFAULT '',
    locale          text NOT NULL DEFAULT 'fr',
    status          text NOT NULL CHECK (status IN ('confirmed', 'ended')),
    as_of           timestamptz NOT NULL
);
CREATE INDEX subscribers_confirmed ON subscribers (subscription_id) WHERE status = 'confirmed';
CREATE INDEX subscribers_by_person ON subscribers (person_id);
CREATE INDEX subscribers_by_email ON subscribers (lower(email));

-- One announcement per forum (reopening a forum does not announce it again), with its progress.
CREATE TABLE announcements (
    forum_id    uuid PRIMARY KEY,
    event_id    uuid NOT NULL,
    queued      integer NOT NULL DEFAULT 0,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);

-- Extra headers of a message (List-Unsubscribe and List-Unsubscribe-Post on announcements).
ALTER TABLE deliveries ADD COLUMN headers jsonb;
