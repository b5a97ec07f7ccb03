"""The announcements and bulk_messages tables, and the batch that writes an announcement's delivery rows.

One announcement per forum opening, and one per forum event announced (a round opened or closing soon, a
restitution published), with its progress (``queued``, ``cursor``: the last subscription reached). A batch
takes the next confirmed subscribers in key order, ``FOR KEY SHARE`` (an erasure deleting one of them waits
for the batch, then purges its row), and writes a delivery row each in one statement. An event's batch skips
the subscribers who voted (``excluded``) and those who have a message of the event already (as registrants
of the forum).
"""

from services.notification.store.deliveries import MESSAGE_ID

NEXT_ANNOUNCEMENT = """
SELECT id, forum_id, event_id, bulk_id, cursor, template, excluded FROM announcements WHERE finished_at IS NULL
ORDER BY started_at LIMIT 1 FOR UPDATE SKIP LOCKED
"""
ANNOUNCEMENT_ID = MESSAGE_ID.format(event="%(event_id)s", recipient="email", template="'forum_announced'")
# One batch: the next subscribers in key order, a delivery row each (their own Message-ID; the bodies
# are the bulk message's). How many were covered, how many rows are new (a row already there is left
# alone), and the last key reached.
WRITE_BATCH = f"""
WITH batch AS (
    SELECT subscription_id, person_id, email, first_name, last_name, locale, token_version FROM subscribers
    WHERE status = 'confirmed' AND subscription_id > %(cursor)s ORDER BY subscription_id LIMIT %(batch)s
    FOR KEY SHARE  -- an erasure deleting one of them waits for this batch, then purges its row
), logged AS (
    INSERT INTO deliveries (event_id, template, recipient, recipient_name, locale, forum_id, person_id,
                            message_id, subject, body_text, body_html, bulk_id, fill)
    SELECT %(event_id)s, 'forum_announced', email, first_name || ' ' || last_name, locale, %(forum_id)s,
           person_id, {ANNOUNCEMENT_ID},
           '', '', '', %(bulk_id)s,
           jsonb_build_object('first_name', first_name, 'last_name', last_name,
                              'subscription_id', subscription_id, 'token_version', token_version)
    FROM batch ORDER BY subscription_id
    ON CONFLICT (event_id, recipient, template) DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM batch) AS covered, (SELECT count(*) FROM logged) AS logged,
       (SELECT subscription_id FROM batch ORDER BY subscription_id DESC LIMIT 1) AS reached
"""
EVENT_MESSAGE_ID = MESSAGE_ID.format(event="%(event_id)s", recipient="email", template="%(template)s")
# A forum event's batch (a round's, a restitution's): the same, less the voters (``excluded``) and anyone
# the event already has a message for (a registrant of the forum, by id or address: one email each); the
# fill also carries the person id, for a personal link to the round (minted when sent, like the
# unsubscribe link).
WRITE_EVENT_BATCH = f"""
WITH batch AS (
    SELECT subscription_id, person_id, email, first_name, last_name, locale, token_version FROM subscribers s
    WHERE status = 'confirmed' AND subscription_id > %(cursor)s AND person_id <> ALL(%(excluded)s)
      AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = %(event_id)s AND d.person_id = s.person_id)
      AND NOT EXISTS (SELECT 1 FROM deliveries d
                      WHERE d.event_id = %(event_id)s AND lower(d.recipient) = lower(s.email))
    ORDER BY subscription_id LIMIT %(batch)s
    FOR KEY SHARE  -- an erasure deleting one of them waits for this batch, then purges its row
), logged AS (
    INSERT INTO deliveries (event_id, template, recipient, recipient_name, locale, forum_id, person_id,
                            message_id, subject, body_text, body_html, bulk_id, fill)
    SELECT %(event_id)s, %(template)s, email, first_name || ' ' || last_name, locale, %(forum_id)s,
           person_id, {EVENT_MESSAGE_ID},
           '', '', '', %(bulk_id)s,
           jsonb_build_object('first_name', first_name, 'last_name', last_name, 'person_id', person_id,
                              'subscription_id', subscription_id, 'token_version', token_version)
    FROM batch ORDER BY subscription_id
    ON CONFLICT (event_id, recipient, template) DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM batch) AS covered, (SELECT count(*) FROM logged) AS logged,
       (SELECT subscription_id FROM batch ORDER BY subscription_id DESC LIMIT 1) AS reached
"""
FORUM_OPENING = "forum_announced"


def start(cur, forum_id, event_id):
    """Record the forum's announcement; False if it had one already."""
    cur.execute(
        "INSERT INTO announcements (id, forum_id, event_id) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
        (forum_id, forum_id, event_id),
    )
    return cur.rowcount != 0


def start_event(cur, forum_id, event_id, template, excluded):
    """Record the announcement of a forum's event (its id is the event's) to the subscribers not in
    ``excluded``; False if it had one already."""
    cur.execute(
        "INSERT INTO announcements (id, forum_id, event_id, template, excluded) VALUES (%s, %s, %s, %s, %s)"
        " ON CONFLICT DO NOTHING",
        (event_id, forum_id, event_id, template, list(excluded)),
    )
    return cur.rowcount != 0


def set_bulk_message(cur, announcement_id, bulk_id):
    cur.execute("UPDATE announcements SET bulk_id = %s WHERE id = %s", (bulk_id, announcement_id))


def next_in_progress(cur):
    """``id``, ``forum_id``, ``event_id``, ``bulk_id``, ``cursor``, ``template``, ``excluded`` of an
    announcement not finished, locked until the transaction ends; None if none is (or the ones in progress
    are another replica's)."""
    return cur.execute(NEXT_ANNOUNCEMENT).fetchone()


def write_batch(cur, announcement, batch_size):
    """The next batch of ``announcement``'s delivery rows: ``covered``, ``logged``, ``reached``."""
    statement = WRITE_BATCH if announcement["template"] == FORUM_OPENING else WRITE_EVENT_BATCH
    return cur.execute(statement, dict(announcement) | {"batch": batch_size}).fetchone()


def advance(cur, announcement_id, logged, reached, finished):
    """Count ``logged`` rows more, move the cursor to ``reached`` (if any), finish it if ``finished``."""
    cur.execute(
        "UPDATE announcements SET queued = queued + %s, cursor = coalesce(%s, cursor),"
        " finished_at = CASE WHEN %s THEN now() END WHERE id = %s",
        (logged, reached, finished, announcement_id),
    )


def progress(cur, forum_id):
    """``queued``, ``started_at``, ``finished_at`` of the forum's opening announcement, or None."""
    return cur.execute(
        "SELECT queued, started_at, finished_at FROM announcements WHERE forum_id = %s AND template = %s",
        (forum_id, FORUM_OPENING),
    ).fetchone()


def insert_bulk_message(cur, template, marker_key, locales, headers):
    """Store a bulk message (``locales`` and ``headers`` as JSON); its id."""
    row = cur.execute(
        "INSERT INTO bulk_messages (template, marker_key, locales, headers) VALUES (%s, %s, %s, %s)"
        " RETURNING id",
        (template, marker_key, locales, headers),
    ).fetchone()
    return row["id"]


def bulk_message(conn, bulk_id):
    """``marker_key``, ``locales``, ``headers`` of the bulk message."""
    return conn.execute(
        "SELECT marker_key, locales, headers FROM bulk_messages WHERE id = %s", (bulk_id,)
    ).fetchone()
