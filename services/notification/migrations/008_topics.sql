-- The topics' titles, as the topics events tell them (a round's opening lists its topics; an edit or a
-- moderation tells one again): a round's results name its agenda by them. A newer event's title wins.
CREATE TABLE topic_titles (
    topic_id    uuid PRIMARY KEY,
    title       text NOT NULL,
    as_of       timestamptz NOT NULL
);

-- An announcement is of a forum opening (``id``: the forum) or of a round (opened, closing soon; ``id``:
-- the event). A round's goes to the subscribers who have no message of that event yet (the registrants
-- were written one when it was handled) and who are not in ``excluded`` (those who voted already).
ALTER TABLE announcements ADD COLUMN id uuid, ADD COLUMN template text NOT NULL DEFAULT 'forum_announced',
    ADD COLUMN excluded uuid[] NOT NULL DEFAULT '{}';
UPDATE announcements SET id = forum_id;
ALTER TABLE announcements ALTER COLUMN id SET NOT NULL, DROP CONSTRAINT announcements_pkey,
    ADD PRIMARY KEY (id);
-- Still one opening announcement per forum (reopening a forum does not announce it again).
CREATE UNIQUE INDEX announcements_forum_opening ON announcements (forum_id)
    WHERE template = 'forum_announced';
