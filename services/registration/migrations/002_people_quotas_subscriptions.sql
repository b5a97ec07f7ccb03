-- A person is their email address; token_version revokes every magic link minted before it.
CREATE TABLE people (
    id            uuid PRIMARY KEY,
    email         text NOT NULL,
    token_version integer NOT NULL DEFAULT 0,
    erased_at     timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX people_by_email ON people (lower(email));

ALTER TABLE forums
    ADD COLUMN registration_opens_at  timestamptz,
    ADD COLUMN registration_closes_at timestamptz,
    ADD COLUMN quota_release_at       timestamptz,
    ADD COLUMN quotas_released        boolean NOT NULL DEFAULT false,
    ADD COLUMN waiting_count          integer NOT NULL DEFAULT 0 CHECK (waiting_count >= 0),
    ADD COLUMN cancellation_reason    text;

-- Seats reserved per stakeholder group, and seats taken per group, decided under the forum's row lock.
CREATE TABLE forum_groups (
    forum_id          uuid NOT NULL REFERENCES forums (id),
    stakeholder_group text NOT NULL,
    reserved_seats    integer NOT NULL DEFAULT 0 CHECK (reserved_seats >= 0),
    confirmed_count   integer NOT NULL DEFAULT 0 CHECK (confirmed_count >= 0),
    PRIMARY KEY (forum_id, stakeholder_group)
);
INSERT INTO forum_groups (forum_id, stakeholder_group, confirmed_count)
    SELECT forum_id, stakeholder_group, count(*) FROM registrations WHERE status = 'confirmed' GROUP BY 1, 2;
UPDATE forums f SET waiting_count = (SELECT count(*) FROM registrations r
    WHERE r.forum_id = f.id AND r.status = 'waitlisted');

ALTER TABLE registrations
    ADD COLUMN person_id           uuid REFERENCES people (id),
    ADD COLUMN accessibility_needs text NOT NULL DEFAULT '',
    ADD COLUMN consent_attend      boolean NOT NULL DEFAULT true,
    ADD COLUMN consent_updates     boolean NOT NULL DEFAULT false,
    ADD COLUMN consent_public_list boolean NOT NULL DEFAULT false,
    ADD COLUMN attendee_code       text,
    ADD COLUMN checked_in_at       timestamptz,
    ADD COLUMN promoted_at         timestamptz,
    ADD COLUMN promotion_reason    text,
    ADD COLUMN cancelled_at        timestamptz,
    ADD COLUMN cancelled_by        text;
INSERT INTO people (id, email)
    SELECT DISTINCT ON (lower(email)) gen_random_uuid(), email FROM registrations ORDER BY lower(email);
UPDATE registrations r SET person_id = p.id FROM people p WHERE lower(p.email) = lower(r.email);
UPDATE registrations SET attendee_code = upper(substr(md5(id::text), 1, 8)) WHERE status = 'confirmed';
ALTER TABLE registrations ALTER COLUMN person_id SET NOT NULL;

-- One active registration per person and forum; a cancelled one does not stop registering again.
DROP INDEX registrations_one_per_person;
CREATE UNIQUE INDEX registrations_one_active_per_person ON registrations (forum_id, lower(email))
    WHERE status <> 'cancelled';
CREATE UNIQUE INDEX registrations_attendee_code ON registrations (forum_id, attendee_code)
    WHERE attendee_code IS NOT NULL;
CREATE INDEX registrations_waitlist ON registrations (forum_id, waitlist_position) WHERE status = 'waitlisted';
CREATE INDEX registrations_by_person ON registrations (person_id);

-- "Keep me informed": pending until the emailed link is followed (double opt-in).
CREATE TABLE subscriptions (
    id                uuid PRIMARY KEY,
    person_id         uuid NOT NULL REFERENCES people (id),
    first_name        text NOT NULL DEFAULT '',
    last_name         text NOT NULL DEFAULT '',
    locale            text NOT NULL DEFAULT 'fr',
    stakeholder_group text,
    status            text NOT NULL CHECK (status IN ('pending', 'confirmed', 'ended')),
    created_at        timestamptz NOT NULL DEFAULT now(),
    confirmed_at      timestamptz,
    ended_at          timestamptz
);
CREATE UNIQUE INDEX subscriptions_one_active_per_person ON subscriptions (person_id) WHERE status <> 'ended';

CREATE INDEX forums_by_start ON forums (starts_at, id);
