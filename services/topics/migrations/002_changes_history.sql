-- An organiser's edit of a topic, with the note shown beside it: what changed is public, and so is why.
CREATE TABLE topic_changes (
    id        bigserial PRIMARY KEY,
    topic_id  uuid NOT NULL REFERENCES topics (id),
    at        timestamptz NOT NULL,
    note      text NOT NULL,
    previous  jsonb NOT NULL       -- the fields as they were: {"title": "...", ...}
);
CREATE INDEX topic_changes_by_topic ON topic_changes (topic_id, id);

-- A topic's way through the series: each time it leaves a forum without being put on its agenda, where it
-- stood in that forum's round (if any) and the organiser's public "why not this time"; it then belongs to
-- the next forum, or to the backlog (to_forum_id NULL).
CREATE TABLE topic_history (
    id           bigserial PRIMARY KEY,
    topic_id     uuid NOT NULL REFERENCES topics (id),
    forum_id     uuid NOT NULL REFERENCES forums (id),
    round_id     uuid REFERENCES rounds (id),
    method       text,
    score        double precision,
    rank         integer,
    why          text NOT NULL,
    to_forum_id  uuid REFERENCES forums (id),
    at           timestamptz NOT NULL
);
CREATE INDEX topic_history_by_topic ON topic_history (topic_id, id);
