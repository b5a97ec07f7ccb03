-- Topics a forum did not put on its agenda and carried over (topic_carried_over): to the next forum, or to
-- the series backlog (to_forum_id NULL), with the organiser's public why and where the topic stood in the
-- forum's round. A restitution states those its forum carried onward and those earlier forums carried to it.
CREATE TABLE carry_overs (
    topic_id       uuid NOT NULL,
    from_forum_id  uuid NOT NULL,
    to_forum_id    uuid,
    why            text NOT NULL,
    standing       jsonb NOT NULL,
    as_of          timestamptz NOT NULL,
    PRIMARY KEY (topic_id, from_forum_id)
);
CREATE INDEX carry_overs_to ON carry_overs (to_forum_id);
