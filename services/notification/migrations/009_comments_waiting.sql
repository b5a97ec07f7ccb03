-- The comments on restitutions that wait for moderation, as the restitution events tell them: a pending
-- comment_submitted adds one; its comment_published or comment_hidden settles it. The events arrive in any
-- order, so a settlement that comes first leaves a settled row, which its late submission cannot reopen.
-- A moderation digest marks the comments it told (digested_at), in the transaction that logs its emails.
-- Nothing personal: ids and times only.
CREATE TABLE comments_waiting (
    comment_id    uuid PRIMARY KEY,
    forum_id      uuid NOT NULL,
    submitted_at  timestamptz NOT NULL,
    digested_at   timestamptz,
    settled_at    timestamptz
);
-- What waits (counted per forum in each digest), what no digest told yet, and when the last one went.
CREATE INDEX comments_waiting_forum ON comments_waiting (forum_id, submitted_at) WHERE settled_at IS NULL;
CREATE INDEX comments_waiting_new ON comments_waiting (comment_id)
    WHERE settled_at IS NULL AND digested_at IS NULL;
CREATE INDEX comments_waiting_digested ON comments_waiting (digested_at) WHERE digested_at IS NOT NULL;
