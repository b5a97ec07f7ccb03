-- Who may comment (kit.people): this service's own copy of the people the registration events tell of,
-- a person whose address was verified (a registrant of any forum of the series, a confirmed subscriber).
CREATE TABLE people (
    person_id          uuid PRIMARY KEY,
    token_version      integer NOT NULL DEFAULT 0,   -- the newest known: a link of an older one is refused
    verified           boolean NOT NULL DEFAULT false,
    stakeholder_group  text,                         -- the one they last declared
    group_as_of        timestamptz,
    erased_at          timestamptz                   -- person_erased: their comments lose their author
);

-- Each forum's choice of moderation for the discussion of its restitution (none kept: pre-moderation).
CREATE TABLE comment_settings (
    forum_id    uuid PRIMARY KEY,
    moderation  text NOT NULL CHECK (moderation IN ('pre', 'post')),
    updated_at  timestamptz NOT NULL
);

-- The discussion of a forum's restitution: on the restitution itself, or on one of the commitments it
-- shows; one level of replies. A hidden comment keeps its place (its public reason is shown instead).
CREATE TABLE comments (
    id                 uuid PRIMARY KEY,
    forum_id           uuid NOT NULL,
    commitment_id      uuid REFERENCES commitments (id),
    parent_id          uuid REFERENCES comments (id),
    author_id          uuid,                    -- NULL once the person is erased
    author_name        text,                    -- the name they chose to show; NULL once erased
    stakeholder_group  text,
    notify_replies     boolean NOT NULL DEFAULT false,
    body               text NOT NULL,
    status             text NOT NULL CHECK (status IN ('pending', 'published', 'hidden')),
    hidden_reason      text,
    created_at         timestamptz NOT NULL,
    published_at       timestamptz,
    moderated_at       timestamptz,
    moderated_by       text
);
CREATE INDEX comments_by_forum ON comments (forum_id, created_at);
CREATE INDEX comments_pending ON comments (created_at) WHERE status = 'pending';
CREATE INDEX comments_by_author ON comments (author_id) WHERE author_id IS NOT NULL;
