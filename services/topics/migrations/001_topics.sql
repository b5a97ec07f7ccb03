-- The topics service's own copy of who may take part, kept from the registration events (never read from
-- registration's tables): a person whose address was verified, as a registrant of any forum of the series
-- (the management link reached them) or as a confirmed subscriber. Each fact only moves forward by the time
-- of the event that told it, since events arrive in any order.
CREATE TABLE people (
    person_id          uuid PRIMARY KEY,
    token_version      integer NOT NULL DEFAULT 0,   -- the newest known: a link of an older one is refused
    verified           boolean NOT NULL DEFAULT false,
    stakeholder_group  text,                         -- the one they last declared; NULL: never declared
    group_as_of        timestamptz,                  -- when that declaration was made
    erased_at          timestamptz                   -- person_erased: nothing of theirs is kept, totals stay
);

-- The forums, as registration's events describe them (newest copy wins).
CREATE TABLE forums (
    id         uuid PRIMARY KEY,
    title      text NOT NULL,
    starts_at  timestamptz NOT NULL,
    status     text NOT NULL,
    as_of      timestamptz NOT NULL
);

-- A topic: for a forum, or for the series backlog (forum_id NULL). Its published_seq orders published topics
-- (the documented tie-break of every ranking), and never changes once given.
CREATE SEQUENCE topics_published_seq;
CREATE TABLE topics (
    id               uuid PRIMARY KEY,
    forum_id         uuid REFERENCES forums (id),
    title            text NOT NULL,
    description      text NOT NULL DEFAULT '',
    commitment_ref   text,                 -- an Open Government action-plan commitment, e.g. "FRA0042"
    status           text NOT NULL CHECK (status IN ('proposed', 'published', 'rejected', 'merged')),
    proposed_by      text NOT NULL CHECK (proposed_by IN ('participant', 'organiser')),
    proposer_id      uuid,                 -- the participant; NULL for an organiser's, or once erased
    rejection_reason text,
    merged_into      uuid REFERENCES topics (id),
    published_seq    bigint UNIQUE,
    published_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'rejected') = (rejection_reason IS NOT NULL)),
    CHECK ((status = 'merged') = (merged_into IS NOT NULL))
);
CREATE INDEX topics_by_forum ON topics (forum_id, status, published_seq);
CREATE INDEX topics_by_proposer ON topics (proposer_id) WHERE proposer_id IS NOT NULL;

-- A prioritisation round over a forum's published topics (those published when it opened, in that order).
CREATE TABLE rounds (
    id             uuid PRIMARY KEY,
    forum_id       uuid NOT NULL REFERENCES forums (id),
    method         text NOT NULL CHECK (method IN ('approval', 'dots', 'ranked')),
    max_choices    integer,
    budget         integer,
    max_per_topic  integer,
    agenda_size    integer NOT NULL CHECK (agenda_size >= 1),
    agenda_from    text NOT NULL DEFAULT 'overall' CHECK (agenda_from IN ('overall', 'consensus')),
    show_running   boolean NOT NULL DEFAULT false,
    topic_ids      uuid[] NOT NULL,
    status         text NOT NULL CHECK (status IN ('open', 'closed')),
    opened_at      timestamptz NOT NULL DEFAULT now(),
    closes_at      timestamptz NOT NULL,
    closed_at      timestamptz,
    closed_by      text,                 -- 'timer' or the organiser's name
    results        jsonb,
    reminded_at    timestamptz           -- "closes in 24 hours" sent
);
CREATE UNIQUE INDEX rounds_one_open_per_forum ON rounds (forum_id) WHERE status = 'open';
CREATE INDEX rounds_due ON rounds (closes_at) WHERE status = 'open';

-- One ballot per person per round, replaced by their next until the round closes. Never public, never on
-- the bus. person_id is NULL once the person is erased: the ballot still counts, it names nobody.
CREATE TABLE ballots (
    id                 uuid PRIMARY KEY,
    round_id           uuid NOT NULL REFERENCES rounds (id),
    person_id          uuid,
    stakeholder_group  text NOT NULL,
    content            jsonb NOT NULL,
    cast_at            timestamptz NOT NULL,
    replaced           integer NOT NULL DEFAULT 0,   -- how many times the person changed it
    UNIQUE (round_id, person_id)
);

-- A paper tally entered by an organiser for one stakeholder group (in-room voting), counted by the same rules.
CREATE TABLE paper_tallies (
    round_id           uuid NOT NULL REFERENCES rounds (id),
    stakeholder_group  text NOT NULL,
    ballots            integer NOT NULL CHECK (ballots >= 0),
    scores             jsonb NOT NULL,
    entered_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (round_id, stakeholder_group)
);
