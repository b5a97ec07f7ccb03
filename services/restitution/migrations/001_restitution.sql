-- The facts a restitution states come from other services' events, never retyped: this service's own copies.
CREATE TABLE forums (
    id         uuid PRIMARY KEY,
    title      text NOT NULL,
    starts_at  timestamptz NOT NULL,
    ends_at    timestamptz NOT NULL,
    timezone   text NOT NULL,
    status     text NOT NULL,
    as_of      timestamptz NOT NULL
);

-- Each registration's stakeholder group and state, by registration id only (no personal data): attendance
-- by group is counted from here. A registration only moves forward, as in notification's roster.
CREATE TABLE registrations (
    registration_id    uuid PRIMARY KEY,
    forum_id           uuid NOT NULL,
    stakeholder_group  text NOT NULL,
    status             text NOT NULL,
    rank               integer NOT NULL,
    as_of              timestamptz NOT NULL,
    checked_in_at      timestamptz
);
CREATE INDEX registrations_by_forum ON registrations (forum_id, stakeholder_group);

-- The forum's closed prioritisation rounds (round_closed) and the titles of topics (topics events).
CREATE TABLE rounds (
    round_id   uuid PRIMARY KEY,
    forum_id   uuid NOT NULL,
    method     text NOT NULL,
    results    jsonb NOT NULL,
    closed_at  timestamptz NOT NULL
);
CREATE INDEX rounds_by_forum ON rounds (forum_id, closed_at);

CREATE TABLE topic_titles (
    topic_id  uuid PRIMARY KEY,
    title     text NOT NULL,
    as_of     timestamptz NOT NULL
);

-- One draft per forum, edited by organisers; version counts saves (an edit on an older one is refused).
CREATE TABLE drafts (
    forum_id    uuid PRIMARY KEY,
    version     integer NOT NULL,
    content     jsonb NOT NULL,            -- {"summary", "sections", "decisions", "commitments"}
    updated_at  timestamptz NOT NULL,
    updated_by  text
);

-- Published versions: immutable (never updated), numbered per forum; the latest supersedes the others.
CREATE TABLE publications (
    forum_id      uuid NOT NULL,
    version       integer NOT NULL CHECK (version >= 1),
    note          text NOT NULL DEFAULT '',
    content       jsonb NOT NULL,          -- the draft as published, with the facts as they stood
    published_at  timestamptz NOT NULL,
    published_by  text,
    PRIMARY KEY (forum_id, version)
);

-- The series' register of commitments: made by a forum's restitution, followed across forums.
CREATE TABLE commitments (
    id          uuid PRIMARY KEY,
    forum_id    uuid NOT NULL,             -- the forum whose restitution made it
    position    integer NOT NULL,          -- its place in that restitution's latest version
    title       text NOT NULL,
    owner       text NOT NULL,
    due_on      date NOT NULL,
    status      text NOT NULL CHECK (status IN ('planned', 'in_progress', 'done', 'dropped')),
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX commitments_by_forum ON commitments (forum_id, position);

CREATE TABLE commitment_changes (
    id             bigserial PRIMARY KEY,
    commitment_id  uuid NOT NULL REFERENCES commitments (id),
    on_date        date NOT NULL,
    from_status    text NOT NULL,
    to_status      text NOT NULL,
    note           text NOT NULL,
    recorded_at    timestamptz NOT NULL
);
CREATE INDEX commitment_changes_by_commitment ON commitment_changes (commitment_id, id);
