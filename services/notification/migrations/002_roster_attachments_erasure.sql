-- Whose message it is (to purge it on erasure), and the files sent with it, exactly as logged:
-- a JSON array of {"content_type", "filename", "content" (base64)}.
ALTER TABLE deliveries ADD COLUMN person_id uuid, ADD COLUMN attachments jsonb;
CREATE INDEX deliveries_by_person ON deliveries (person_id) WHERE person_id IS NOT NULL;

-- This service's copy of each forum, as told by the newest event that carried it. A final status
-- (cancelled, held) ranks above the others, so a late event can never reopen a forum.
CREATE TABLE roster_forums (
    id          uuid PRIMARY KEY,
    forum       jsonb NOT NULL,
    status      text NOT NULL,
    rank        smallint NOT NULL,
    as_of       timestamptz NOT NULL
);

-- Each registrant, in the newest state known. Events for one registration travel on several queues
-- and may arrive in any order: a row only moves forward, by (rank of status, event time), with
-- waitlisted < confirmed < cancelled.
CREATE TABLE roster_registrants (
    registration_id uuid PRIMARY KEY,
    forum_id        uuid NOT NULL,
    person_id       uuid,
    token_version   integer NOT NULL DEFAULT 0,
    email           text NOT NULL,
    first_name      text NOT NULL,
    last_name       text NOT NULL,
    locale          text NOT NULL,
    status          text NOT NULL CHECK (status IN ('waitlisted', 'confirmed', 'cancelled')),
    rank            smallint NOT NULL,
    as_of           timestamptz NOT NULL
);
CREATE INDEX roster_registrants_by_forum ON roster_registrants (forum_id, status);
CREATE INDEX roster_registrants_by_email ON roster_registrants (lower(email));
CREATE INDEX roster_registrants_by_person ON roster_registrants (person_id) WHERE person_id IS NOT NULL;

-- People erased: no message is written for them from an event older than the erasure, even one that
-- was still on its way on another queue (a person who comes back later is a new start). Only the person
-- id and a SHA-256 of the lower-cased address are kept, to recognise those late events.
CREATE TABLE erased_people (
    id            bigserial PRIMARY KEY,
    person_id     uuid NOT NULL,
    email_sha256  text NOT NULL,
    as_of         timestamptz NOT NULL  -- the time of the erasure event: older events are ignored
);
CREATE INDEX erased_people_by_person ON erased_people (person_id);
CREATE INDEX erased_people_by_email ON erased_people (email_sha256);
