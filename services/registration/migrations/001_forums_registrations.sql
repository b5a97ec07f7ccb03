CREATE TABLE forums (
    id            uuid PRIMARY KEY,
    slug          text NOT NULL UNIQUE,
    title         text NOT NULL,
    description   text NOT NULL DEFAULT '',
    starts_at     timestamptz NOT NULL,
    ends_at       timestamptz NOT NULL,
    timezone      text NOT NULL DEFAULT 'Europe/Paris',
    venue_name    text NOT NULL,
    venue_address text NOT NULL,
    venue_city    text NOT NULL,
    venue_accessibility text NOT NULL DEFAULT '',
    capacity      integer NOT NULL CHECK (capacity >= 0),
    -- seats taken, kept on the forum row so that one conditional UPDATE decides confirmed or waitlisted
    confirmed_count integer NOT NULL DEFAULT 0,
    waitlist_seq  integer NOT NULL DEFAULT 0,
    status        text NOT NULL DEFAULT 'open'
                  CHECK (status IN ('draft', 'open', 'closed', 'held', 'cancelled')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at),
    CHECK (confirmed_count BETWEEN 0 AND capacity)
);

CREATE TABLE registrations (
    id                uuid PRIMARY KEY,
    forum_id          uuid NOT NULL REFERENCES forums (id),
    email             text NOT NULL,
    first_name        text NOT NULL,
    last_name         text NOT NULL,
    organisation      text NOT NULL DEFAULT '',
    stakeholder_group text NOT NULL,
    locale            text NOT NULL DEFAULT 'fr',
    status            text NOT NULL CHECK (status IN ('confirmed', 'waitlisted', 'cancelled')),
    waitlist_position integer,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
-- one registration per person and forum, whatever the case of the address
CREATE UNIQUE INDEX registrations_one_per_person ON registrations (forum_id, lower(email));
CREATE INDEX registrations_by_forum_status ON registrations (forum_id, status, created_at);
